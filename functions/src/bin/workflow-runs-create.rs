//! Lambda function `workflow-runs-create`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("workflow-runs-create")
}
