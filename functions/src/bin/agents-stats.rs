//! Lambda function `agents-stats`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("agents-stats")
}
