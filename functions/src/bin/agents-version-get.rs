//! Lambda function `agents-version-get`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-version-get")
}
