//! Lambda function `agents-versions`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-versions")
}
