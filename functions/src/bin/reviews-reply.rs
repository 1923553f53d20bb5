//! Lambda function `reviews-reply`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("reviews-reply")
}
