//! Lambda function `saved-workflows-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("saved-workflows-list")
}
