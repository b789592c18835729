//! Panics turned into reported failures: a worker that parses outside input runs each item
//! under `catch`, so that a bug met on one record fails that record, with a message, instead of
//! taking the worker (and whatever it had queued) down in silence.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic becomes `Err` with the message it carried.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| message(&*panic))
}

/// The message a panic carried.
pub fn message(panic: &(dyn Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_an_error_with_its_message() {
        assert_eq!(catch(|| 7), Ok(7));
        let n = 3;
        assert_eq!(
            catch(|| -> u8 { panic!("bad record {n}") }),
            Err("bad record 3".to_owned())
        );
        assert_eq!(
            catch(|| -> u8 { panic!("static") }),
            Err("static".to_owned())
        );
    }
}
