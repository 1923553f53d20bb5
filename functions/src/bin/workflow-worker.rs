//! Lambda function `workflow-worker`: serves the workflow queue's batches (SQS).

fn main() -> std::process::ExitCode {
    agora::lambda::serve_workflow_worker()
}
