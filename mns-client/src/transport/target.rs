//! The request target: what goes on the request line after the endpoint, checked to be sent
//! exactly as it is signed (`Client::url_for`).

/// `base` (an endpoint without path, query or fragment) with `resource`'s path and query set, as
/// the `url` crate normalises them. The endpoint is parsed once; setting the path and query on
/// it gives what parsing `endpoint + resource` would, without parsing the scheme and host again.
pub(crate) fn url_with_target(base: &url::Url, resource: &str) -> url::Url {
    let mut url = base.clone();
    let (path, query) = match resource.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (resource, None),
    };
    url.set_path(path);
    url.set_query(query);
    url
}

/// Bytes a path may hold and URL parsing keeps: unreserved characters, sub-delimiters, `:`, `@`,
/// `/` and `%`.
const PATH: [bool; 256] = byte_set(b"-._~!$&'()*+,;=:@/%");
/// Bytes a query may hold and URL parsing keeps: as [`PATH`] plus `?`, without `'` (which the
/// `url` crate encodes in queries of `http`/`https` URLs).
const QUERY: [bool; 256] = byte_set(b"-._~!$&()*+,;=:@/%?");

/// ASCII letters, digits and `extra`.
const fn byte_set(extra: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut b = 0;
    while b < 256 {
        set[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        set[extra[i] as usize] = true;
        i += 1;
    }
    set
}

/// Whether `resource` (starting with `/`) is made only of characters that URL parsing keeps as
/// they are, so it goes on the wire unchanged without being parsed: [`PATH`] bytes in the path,
/// with no segment starting with `.` (which rules out dot segments), no `%2e`/`%2E` and no
/// empty segment but the last; [`QUERY`] bytes in the query. Anything else takes the `url`
/// crate's check. Conservative by design (one pass, no allocation): `true` implies the `url`
/// crate keeps the resource byte for byte.
pub(crate) fn kept_verbatim(resource: &str) -> bool {
    let bytes = resource.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'?' => return bytes[i + 1..].iter().all(|&b| QUERY[usize::from(b)]),
            b'/' if matches!(bytes.get(i + 1), Some(b'/' | b'.')) => return false,
            b'%' if bytes.get(i + 1) == Some(&b'2')
                && matches!(bytes.get(i + 2), Some(b'e' | b'E')) =>
            {
                return false;
            }
            _ if !PATH[usize::from(b)] => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{kept_verbatim, url_with_target};

    /// The fast check never accepts what the `url` crate would change: every resource over an
    /// alphabet of tricky characters, up to 3 characters after the `/`, plus a pseudo-random
    /// sample of longer ones.
    #[test]
    fn kept_verbatim_implies_the_url_crate_keeps_it() {
        let base = url::Url::parse("http://127.0.0.1:9911").expect("url");
        let alphabet: Vec<char> = "a%2eE./?&=+'#:@ \\\"<>`{}|^[]~!$()*,;-_é\u{7f}"
            .chars()
            .collect();
        let check = |resource: &str| {
            if kept_verbatim(resource) {
                let url = url_with_target(&base, resource);
                assert_eq!(&url[url::Position::BeforePath..], resource, "{resource:?}");
            }
        };
        let mut accepted = 0usize;
        let mut stack = vec![String::from("/")];
        while let Some(resource) = stack.pop() {
            check(&resource);
            accepted += usize::from(kept_verbatim(&resource));
            if resource.len() < 4 {
                for c in &alphabet {
                    stack.push(format!("{resource}{c}"));
                }
            }
        }
        assert!(
            accepted > 1000,
            "the fast path accepts ordinary resources ({accepted})"
        );
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            let mut resource = String::from("/");
            let len = (state % 24) as usize;
            for _ in 0..len {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                resource.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            check(&resource);
        }
        for resource in [
            "/queues/q/messages",
            "/queues/q/messages?numOfMessages=16&waitseconds=3",
            "/queues/q%2D1/messages?ReceiptHandle=1-ODU4+OTk/zNDU5My0=10",
            "/?accountmeta=true",
            "/topics/t/subscriptions?marker=x",
        ] {
            assert!(kept_verbatim(resource), "{resource:?}");
        }
    }
}
