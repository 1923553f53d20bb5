//! Lambda function `categories-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("categories-list")
}
