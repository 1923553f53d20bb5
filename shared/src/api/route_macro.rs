//! The shape of the route table ([`route_table`](super::route_table)).

/// Declares the route table: `(function, needs, route)` per route, the function's name with
/// `_` for `-`. Each route gets a module of its own under [`functions`] (its constructor and
/// its needs as a constant), so a function's binary reaches its own route alone and builds
/// only the adapters its needs name; [`routes`] lists them all.
macro_rules! route_table {
    ($(($function:ident, $needs:expr, $route:expr)),* $(,)?) => {
        /// Each route by the name of its function (`-` as `_`).
        pub mod functions {
            $(
                pub mod $function {
                    use crate::api::{needs::{self, NeedSet}, *};

                    /// What this route's function reaches outside its process.
                    pub const NEEDS: NeedSet = $needs;

                    pub fn route() -> Route {
                        $route.needing(NEEDS)
                    }
                }
            )*
        }

        /// Every route of the API.
        pub fn routes() -> Vec<Route> {
            vec![$(functions::$function::route()),*]
        }
    };
}
