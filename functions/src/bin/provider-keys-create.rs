//! Lambda function `provider-keys-create`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("provider-keys-create")
}
