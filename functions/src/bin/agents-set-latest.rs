//! Lambda function `agents-set-latest`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-set-latest")
}
