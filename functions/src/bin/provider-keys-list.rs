//! Lambda function `provider-keys-list`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("provider-keys-list")
}
