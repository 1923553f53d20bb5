//! Lambda function `chat-completions`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("chat-completions")
}
