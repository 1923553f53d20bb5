//! Lambda function `agents-version-update`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-version-update")
}
