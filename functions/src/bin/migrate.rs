//! Lambda function `migrate`: applies the migrations on every deploy (a CloudFormation
//! custom resource).

fn main() -> std::process::ExitCode {
    agora::lambda::main("migrate")
}
