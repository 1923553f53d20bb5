//! Lambda function `reviews-put`: serves its route from the route table.

fn main() -> std::process::ExitCode {
    agora::lambda::main("reviews-put")
}
