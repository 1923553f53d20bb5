//! Lambda function `workflow-worker`: runs workflow steps from its SQS queue.

fn main() -> std::process::ExitCode {
    agora::lambda::main("workflow-worker")
}
