//! Lambda function `workflow-runs-cancel`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("workflow-runs-cancel")
}
