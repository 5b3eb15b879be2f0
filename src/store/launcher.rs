//! Who is launching runs from this process and where: the OS user and the host name, recorded
//! with every run this process creates, so a store shared by several analysts and machines tells
//! their runs apart. Read once per process.

use std::sync::OnceLock;

/// The OS user and host of this process (each `None` when the system does not say).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Launcher {
    pub user: Option<String>,
    pub host: Option<String>,
}

impl Launcher {
    pub fn current() -> &'static Launcher {
        static CURRENT: OnceLock<Launcher> = OnceLock::new();
        CURRENT.get_or_init(|| Launcher {
            user: os_user(),
            host: host_name(),
        })
    }

    /// `user@host`, or whichever part is known.
    pub fn describe(user: Option<&str>, host: Option<&str>) -> Option<String> {
        match (user, host) {
            (Some(u), Some(h)) => Some(format!("{u}@{h}")),
            (Some(one), None) | (None, Some(one)) => Some(one.to_string()),
            (None, None) => None,
        }
    }
}

/// The name of the effective user from the password database, else `$USER` / `$LOGNAME`.
fn os_user() -> Option<String> {
    let mut buffer = vec![0 as libc::c_char; 4096];
    let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
    let mut found: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes the entry into `entry` and its strings into `buffer`, both
    // ours and large enough (it reports ERANGE otherwise, and we fall back to the environment).
    let status = unsafe {
        libc::getpwuid_r(
            libc::geteuid(),
            &mut entry,
            buffer.as_mut_ptr(),
            buffer.len(),
            &mut found,
        )
    };
    let from_database = (status == 0 && !found.is_null() && !entry.pw_name.is_null())
        .then(|| {
            // SAFETY: pw_name points into `buffer`, NUL-terminated by getpwuid_r.
            unsafe { std::ffi::CStr::from_ptr(entry.pw_name) }
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !name.is_empty());
    from_database.or_else(|| {
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    })
}

fn host_name() -> Option<String> {
    let mut buffer = [0 as libc::c_char; 256];
    // SAFETY: gethostname writes at most `len` bytes into our buffer.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr(), buffer.len()) };
    if status != 0 {
        return None;
    }
    // A name as long as the buffer may lack its NUL: make sure there is one.
    buffer[buffer.len() - 1] = 0;
    // SAFETY: the buffer is NUL-terminated (above).
    let name = unsafe { std::ffi::CStr::from_ptr(buffer.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_user_and_a_host() {
        let launcher = Launcher::current();
        assert!(
            launcher.user.as_deref().is_some_and(|u| !u.is_empty()),
            "{launcher:?}"
        );
        assert!(
            launcher.host.as_deref().is_some_and(|h| !h.is_empty()),
            "{launcher:?}"
        );
        assert_eq!(
            Launcher::describe(Some("ana"), Some("box")),
            Some("ana@box".into())
        );
        assert_eq!(Launcher::describe(None, None), None);
    }
}
