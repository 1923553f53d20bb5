//! Lambda function `conversations-send`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("conversations-send")
}
