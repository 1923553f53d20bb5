//! Lambda function `agents-import`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-import")
}
