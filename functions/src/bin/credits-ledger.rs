//! Lambda function `credits-ledger`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("credits-ledger")
}
