//! Lambda function `conversations-regenerate`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("conversations-regenerate")
}
