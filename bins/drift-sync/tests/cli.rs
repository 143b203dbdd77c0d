//! The `drift-sync` binary's start-up rules.

use std::process::Command;

fn drift_sync() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_drift-sync"));
    for variable in [
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_API_KEY_SID",
        "TWILIO_API_KEY_SECRET",
        "DATABASE_URL",
        "APP_ENV",
        "SUBACCOUNT_ENCRYPTION_KEY",
        "SUBACCOUNT_ENCRYPTION_KEYS_PREVIOUS",
    ] {
        command.env_remove(variable);
    }
    command
}

#[test]
fn without_twilio_credentials_it_exits_2_naming_the_variable() {
    let dir = std::env::temp_dir().join(format!("drift-sync-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = drift_sync().current_dir(&dir).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("TWILIO_ACCOUNT_SID"), "{stderr}");
    // Nothing was created: a job without credentials must not even open a database.
    assert!(!dir.join("data").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn server_settings_are_not_its_flags() {
    let output = drift_sync().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success());
    assert!(help.contains("--database-url"), "{help}");
    assert!(help.contains("--twilio-account-sid"), "{help}");
    for server_only in ["--bind-addr", "--jwt-secret", "--pricing-cache-ttl-secs"] {
        assert!(!help.contains(server_only), "{server_only} in {help}");
    }
}
