//! Lambda function `migrate`: serves CloudFormation's custom resource events.

fn main() -> std::process::ExitCode {
    agora::lambda::serve_migrate()
}
