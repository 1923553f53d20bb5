//! Lambda function `reviews-report`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("reviews-report")
}
