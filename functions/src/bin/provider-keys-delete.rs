//! Lambda function `provider-keys-delete`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("provider-keys-delete")
}
