//! Lambda function `models-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("models-list")
}
