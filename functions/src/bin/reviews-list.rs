//! Lambda function `reviews-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("reviews-list")
}
