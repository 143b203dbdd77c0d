//! Where a call's status stands in its progress, so that status callbacks arriving out of
//! order never move a call backwards.

/// The rank of a Twilio `CallStatus` in a call's progress: `queued` 0, `initiated` 1,
/// `ringing` 2, `in-progress` 3, and every final status (`completed`, `busy`, `failed`,
/// `no-answer`, `canceled`) 4. A status Twilio may add later ranks 0, so it never hides a
/// known later one. Between two events of the same rank, Twilio's `SequenceNumber` decides.
#[must_use]
pub fn call_status_rank(status: &str) -> i32 {
    match status {
        "initiated" => 1,
        "ringing" => 2,
        "in-progress" | "answered" => 3,
        "completed" | "busy" | "failed" | "no-answer" | "canceled" => 4,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::call_status_rank;

    #[test]
    fn a_call_moves_forward_through_its_statuses() {
        let order = ["queued", "initiated", "ringing", "in-progress", "completed"];
        for pair in order.windows(2) {
            assert!(
                call_status_rank(pair[0]) < call_status_rank(pair[1]),
                "{pair:?}"
            );
        }
        for last in ["busy", "failed", "no-answer", "canceled"] {
            assert_eq!(call_status_rank(last), call_status_rank("completed"));
        }
        assert_eq!(call_status_rank("something-new"), 0);
    }
}
