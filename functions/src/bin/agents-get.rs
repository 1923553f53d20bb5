//! Lambda function `agents-get`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-get")
}
