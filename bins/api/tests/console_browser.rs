//! The admin console in a real browser: headless Chromium, driven through chromedriver,
//! against the `api` binary in sandbox mode (SQLite in a temporary folder, the in-process
//! Twilio fake). It performs the runbook's QA scenario — open a voice channel, empty state,
//! Connect voice line, United Kingdom / Local, Search, Buy the first, toast and row, a
//! simulated inbound call and its last call, Release, confirm, released — and then shows
//! that a Twilio refusal, a regulatory refusal and a full plan are told in words.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`CHROMEDRIVER` and `CHROME_BIN` override
//! where they are). Without a driver the test says it was skipped, unless `CI` is set: then
//! a missing driver is a failure.
//!
//! With `CONSOLE_SCREENSHOTS_DIR` set (a folder, relative to the workspace root), the test
//! saves the screenshots shown in the README there:
//! `CONSOLE_SCREENSHOTS_DIR=docs/console cargo test -p numbers-api --test console_browser`.

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

/// How long any one step may take to show in the page.
const STEP: Duration = Duration::from_secs(30);
const DESKTOP: (u32, u32) = (1280, 900);
const PHONE: (u32, u32) = (390, 844);

/// A child process stopped when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("numbers-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `api serve` in sandbox mode and what it printed.
struct Sandbox {
    _process: Running,
    _dir: TempDir,
    /// `http://127.0.0.1:port`
    base: String,
    /// The signed-in console link it printed.
    console_link: String,
    /// The admin token inside that link.
    token: String,
    /// The in-process fake's base URL (its control API is under `/_fake/`).
    fake: String,
    /// Every log line so far (the test checks the token never appears in them).
    log: Arc<Mutex<Vec<String>>>,
}

fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn start_sandbox() -> Sandbox {
    let dir = TempDir::new("console-sandbox");
    // A real port rather than 0: the webhook URLs written on numbers (PUBLIC_BASE_URL, by
    // default the bind address) must reach this process for the simulated call.
    let bind = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_api"))
        .current_dir(&dir.0)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["serve", "--bind-addr", &bind])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the api binary");
    let stdout = lines(child.stdout.take().expect("stdout"));
    let stderr = lines(child.stderr.take().expect("stderr"));
    let process = Running(child);

    let deadline = Instant::now() + Duration::from_secs(60);
    let mut printed = Vec::new();
    let console_link = loop {
        let line = stdout
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no console link; the sandbox printed: {printed:#?}"));
        if line.contains("/console/#token=") {
            break line.trim().to_owned();
        }
        printed.push(line);
    };
    let token = console_link
        .split_once("#token=")
        .map(|(_, t)| t.to_owned())
        .expect("token");
    let base = console_link
        .split_once("/console/")
        .map(|(b, _)| b.to_owned())
        .expect("base");

    let log = Arc::new(Mutex::new(Vec::new()));
    let mut fake = None;
    while fake.is_none() {
        let line = stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the sandbox's log names the fake's address");
        fake = line
            .split("in-process fake at ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .map(|url| url.trim_end_matches('.').to_owned());
        log.lock().expect("log").push(line);
    }
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in stderr {
            sink.lock().expect("log").push(line);
        }
    });
    Sandbox {
        _process: process,
        _dir: dir,
        base,
        console_link,
        token,
        fake: fake.expect("fake"),
        log,
    }
}

fn find_driver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("chromedriver"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// chromedriver on a free port, and a headless Chromium session through it.
struct Browser {
    driver: WebDriver,
    _chromedriver: Running,
    _profile: TempDir,
}

async fn start_browser(chromedriver: &Path) -> Browser {
    let port = free_port();
    let process = Running(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{url}/status")).await.is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let profile = TempDir::new("console-chromium");
    let mut caps = DesiredCapabilities::chrome();
    let chrome = std::env::var("CHROME_BIN").ok().or_else(|| {
        Path::new("/usr/bin/chromium")
            .is_file()
            .then(|| "/usr/bin/chromium".to_owned())
    });
    if let Some(chrome) = chrome {
        caps.set_binary(&chrome).expect("binary");
    }
    // The machine has no internet: nothing may try to reach it.
    for arg in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--lang=en-GB",
        &format!("--user-data-dir={}", profile.0.display()),
    ] {
        caps.add_arg(arg).expect("argument");
    }
    let driver = WebDriver::new(&url, caps)
        .await
        .expect("a Chromium session through chromedriver");
    Browser {
        driver,
        _chromedriver: process,
        _profile: profile,
    }
}

/// Polls `expression` (a JavaScript expression) until it is truthy; returns its value.
async fn until(driver: &WebDriver, what: &str, expression: &str) -> Value {
    let deadline = Instant::now() + STEP;
    let script = format!("return ({expression}) || null;");
    loop {
        let value = driver
            .execute(&script, Vec::new())
            .await
            .map(|r| r.json().clone())
            .unwrap_or(Value::Null);
        if !value.is_null() && value != json!(false) {
            return value;
        }
        if Instant::now() > deadline {
            let text = driver
                .execute("return document.body.innerText;", Vec::new())
                .await
                .map(|r| r.json().clone())
                .unwrap_or_default();
            panic!("timed out waiting for {what}; the page shows:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(driver: &WebDriver, css: &str) -> String {
    driver
        .find(By::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn click(driver: &WebDriver, css: &str) {
    driver
        .find(By::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

async fn size(driver: &WebDriver, (width, height): (u32, u32)) {
    driver
        .set_window_rect(0, 0, width, height)
        .await
        .expect("window size");
}

/// Saves a screenshot when `CONSOLE_SCREENSHOTS_DIR` asks for them.
async fn shot(driver: &WebDriver, name: &str) {
    let Some(dir) = std::env::var_os("CONSOLE_SCREENSHOTS_DIR") else {
        return;
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir);
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    // Let the page settle (fonts, the toast's appearance) before the picture.
    tokio::time::sleep(Duration::from_millis(300)).await;
    driver
        .screenshot(&dir.join(format!("{name}.png")))
        .await
        .expect("screenshot");
}

/// Nothing is wider than the window (no sideways scrolling at phone width).
async fn fits_the_width(driver: &WebDriver, what: &str) {
    let widths = driver
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            Vec::new(),
        )
        .await
        .expect("widths")
        .json()
        .clone();
    assert!(
        widths[0].as_u64() <= widths[1].as_u64(),
        "{what} is wider than the window: {widths}"
    );
}

async fn select(driver: &WebDriver, css: &str, visible_text: &str) {
    let element = driver.find(By::Css(css)).await.expect("select");
    SelectElement::new(&element)
        .await
        .expect("select element")
        .select_by_visible_text(visible_text)
        .await
        .unwrap_or_else(|e| panic!("{css} has no option {visible_text}: {e}"));
}

/// Opens "Connect voice line", searches `country`/`type` and waits for the results.
async fn search(driver: &WebDriver, country: &str, number_type: &str) {
    click(driver, "#connect-open").await;
    until(
        driver,
        "the Connect voice line dialog",
        "document.querySelector('#connect-dialog').open",
    )
    .await;
    select(driver, "#search-country", country).await;
    select(driver, "#search-type", number_type).await;
    // The keyboard way: Enter in the pattern field submits the search.
    driver
        .find(By::Css("#search-contains"))
        .await
        .expect("contains")
        .send_keys(Key::Enter)
        .await
        .expect("enter");
    until(
        driver,
        "search results",
        "document.querySelectorAll('#result-list li').length > 0",
    )
    .await;
}

/// The number on the first offer whose Buy button is enabled.
async fn first_buyable(driver: &WebDriver) -> String {
    until(
        driver,
        "an offer that can be bought",
        "[...document.querySelectorAll('#result-list li')].find((li) => !li.querySelector('button.buy').disabled)?.dataset.phoneNumber",
    )
    .await
    .as_str()
    .expect("number")
    .to_owned()
}

async fn buy(driver: &WebDriver, number: &str) {
    click(
        driver,
        &format!("#result-list li[data-phone-number='{number}'] button.buy"),
    )
    .await;
}

/// The words a refused purchase shows on its offer.
async fn refusal_of(driver: &WebDriver, number: &str) -> Value {
    until(
        driver,
        &format!("the refusal of {number}"),
        &format!(
            "document.querySelector(\"#result-list li[data-phone-number='{number}'] .error\")?.textContent"
        ),
    )
    .await
}

async fn control(sandbox: &Sandbox, path: &str, body: Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/_fake{path}", sandbox.fake))
        .json(&body)
        .send()
        .await
        .expect("fake control");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
}

/// The API, for set-up the scenario does not need the browser for.
async fn api(sandbox: &Sandbox, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", sandbox.base))
        .bearer_auth(&sandbox.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("api");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.expect("json")
}

/// A line straight to the process's stderr, past the test harness's output capture, so a
/// skip is seen even when the test passes.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Presses "Simulate inbound call" on the active row of `number` and reads its last call.
async fn simulated_call(driver: &WebDriver, sandbox: &Sandbox, number: &str) {
    let active_row = "#number-list li[data-status='active']";
    until(
        driver,
        "no call yet",
        &format!(
            "document.querySelector(\"{active_row} .last-call\")?.textContent === 'No calls yet'"
        ),
    )
    .await;
    click(driver, &format!("{active_row} button.simulate")).await;
    let toast = until(driver, "the call's toast", "document.querySelector('#toast').textContent.startsWith('Simulated call') && document.querySelector('#toast').textContent").await;
    assert_eq!(
        toast,
        json!(format!(
            "Simulated call to {number}: answered and connected to the channel's agent"
        ))
    );
    let last_call = until(
        driver,
        "the last call",
        &format!("document.querySelector(\"{active_row} .last-call[data-call-sid]\")?.textContent"),
    )
    .await;
    let last_call = last_call.as_str().expect("text");
    assert!(
        last_call.starts_with("Last call ")
            && last_call.contains("from +14155550100")
            && last_call.contains("completed · 30 s"),
        "{last_call}"
    );
    shot(driver, "inbound-call").await;
    {
        let log = sandbox.log.lock().expect("log").join("\n");
        assert!(
            log.contains("Inbound call received"),
            "the voice webhook was not logged"
        );
        assert!(
            !log.contains("Invalid Twilio signature"),
            "the signature did not verify"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runbooks_qa_scenario_and_the_refusals_read_right_in_headless_chromium() {
    let Some(chromedriver) = find_driver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no chromedriver was found: install chromium and chromium-driver"
        );
        say(
            "SKIPPED the_runbooks_qa_scenario_and_the_refusals_read_right_in_headless_chromium: \
             no chromedriver found (apt-get install chromium chromium-driver, or set CHROMEDRIVER)",
        );
        return;
    };
    let sandbox = start_sandbox();
    let browser = start_browser(&chromedriver).await;
    let driver = &browser.driver;
    size(driver, DESKTOP).await;

    // Signed in by the link: the token leaves the address bar at once.
    driver
        .goto(sandbox.console_link.as_str())
        .await
        .expect("open the console");
    until(
        driver,
        "the channel list",
        "[...document.querySelectorAll('#channel-list a')].some((a) => a.textContent === 'Demo voice channel')",
    )
    .await;
    until(
        driver,
        "the sandbox banner",
        "!document.querySelector('#sandbox-banner').hidden",
    )
    .await;
    let address = driver.current_url().await.expect("url").to_string();
    assert!(
        !address.contains("token"),
        "the token stays in the address bar: {address}"
    );
    // Any Content-Security-Policy violation from here on is recorded.
    driver
        .execute(
            "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
            Vec::new(),
        )
        .await
        .expect("listener");
    shot(driver, "channels").await;

    // Open the voice channel: the Phone numbers section is empty.
    driver
        .find(By::LinkText("Demo voice channel"))
        .await
        .expect("channel link")
        .click()
        .await
        .expect("click");
    until(
        driver,
        "the empty state",
        "!document.querySelector('#numbers-empty').hidden",
    )
    .await;
    assert_eq!(
        text_of(driver, "#numbers-empty").await,
        "No phone numbers yet"
    );
    assert_eq!(text_of(driver, "#numbers-title").await, "Phone numbers");
    shot(driver, "channel-empty").await;

    // Connect voice line: United Kingdom, Local, Search with no pattern.
    search(driver, "United Kingdom", "Local").await;
    let first = text_of(driver, "#result-list li").await;
    assert!(first.contains("$1.15/mo"), "price shown: {first}");
    assert!(first.contains("Voice"), "capabilities shown: {first}");
    assert!(
        first.contains("London")
            || first.contains("Manchester")
            || first.contains("Birmingham")
            || first.contains("Edinburgh")
            || first.contains("Leeds"),
        "locality shown: {first}"
    );
    let price_line = text_of(driver, "#search-price").await;
    assert_eq!(price_line, "Local numbers in United Kingdom: $1.15 a month");
    // Every disabled Buy says why, next to it.
    let unexplained = driver
        .execute(
            "return [...document.querySelectorAll('#result-list button.buy:disabled')].filter((b) => !document.getElementById(b.getAttribute('aria-describedby'))?.textContent).length;",
            Vec::new(),
        )
        .await
        .expect("reasons")
        .json()
        .clone();
    assert_eq!(unexplained, json!(0));
    shot(driver, "connect-voice-line").await;

    // Buy the first: a toast, and the row in the list.
    let number = first_buyable(driver).await;
    assert!(number.starts_with("+44"), "{number}");
    buy(driver, &number).await;
    let toast = until(
        driver,
        "the purchase toast",
        "!document.querySelector('#toast').hidden && document.querySelector('#toast').textContent",
    )
    .await;
    assert_eq!(toast, json!(format!("Purchased {number}")));
    until(
        driver,
        "the dialog to close",
        "!document.querySelector('#connect-dialog').open",
    )
    .await;
    let listed = until(
        driver,
        "the new row",
        "document.querySelector(\"#number-list li[data-status='active'] .number\")?.textContent",
    )
    .await;
    assert_eq!(listed, json!(number));
    assert!(
        text_of(driver, "#numbers-empty").await.is_empty(),
        "the empty state is gone"
    );
    shot(driver, "purchased").await;

    // A simulated inbound call (the sandbox's button): Twilio's signed webhook reaches the
    // service, which connects it to the channel's agent, and the row shows the last call.
    simulated_call(driver, &sandbox, &number).await;

    // Release, with a confirmation.
    click(
        driver,
        "#number-list li[data-status='active'] button.danger",
    )
    .await;
    until(
        driver,
        "the confirmation",
        "document.querySelector('#release-dialog').open",
    )
    .await;
    assert_eq!(
        text_of(driver, "#release-title").await,
        format!("Release {number}?")
    );
    shot(driver, "release-confirm").await;
    click(driver, "#release-confirm").await;
    let toast = until(driver, "the release toast", "document.querySelector('#toast').textContent.startsWith('Released') && document.querySelector('#toast').textContent").await;
    assert_eq!(toast, json!(format!("Released {number}")));
    let badge = until(
        driver,
        "the released row",
        "document.querySelector(\"#number-list li[data-status='released'] .badge\")?.textContent",
    )
    .await;
    assert_eq!(badge, json!("Released"));
    let released = api(
        &sandbox,
        reqwest::Method::GET,
        "/v1/phone-numbers?status=released",
        None,
    )
    .await;
    assert_eq!(released["phone_numbers"][0]["phone_number"], json!(number));
    shot(driver, "released").await;

    // A Twilio refusal: the number is gone by the time Buy is pressed (Twilio 21422).
    search(driver, "United Kingdom", "Local").await;
    let taken = first_buyable(driver).await;
    control(
        &sandbox,
        "/inventory/taken",
        json!({ "phone_number": taken }),
    )
    .await;
    buy(driver, &taken).await;
    let words = refusal_of(driver, &taken).await;
    assert_eq!(
        words,
        json!(
            "Someone else has just taken this number, or Twilio no longer offers it. Search again and pick another one."
        )
    );
    let gone = text_of(
        driver,
        &format!("#result-list li[data-phone-number='{taken}']"),
    )
    .await;
    assert!(gone.contains("No longer available."), "{gone}");
    shot(driver, "refusal").await;

    // A regulatory refusal: Twilio wants a bundle (21649) the platform does not have.
    control(
        &sandbox,
        "/faults",
        json!({ "operation": "create", "fault": { "kind": "error", "status": 400, "code": 21649 }, "times": 1 }),
    )
    .await;
    let next = first_buyable(driver).await;
    buy(driver, &next).await;
    let words = refusal_of(driver, &next).await;
    assert_eq!(
        words,
        json!(
            "This number needs an approved regulatory bundle that has not been registered for its country and type yet."
        )
    );
    click(driver, "#connect-dialog [data-close]").await;

    // A full plan: five numbers held (bought through the API), the sixth is refused in words.
    let channel =
        api(&sandbox, reqwest::Method::GET, "/v1/channels", None).await["channels"][0]["id"]
            .clone();
    let offers = api(
        &sandbox,
        reqwest::Method::GET,
        "/v1/phone-numbers/available?country=US&type=local&limit=10",
        None,
    )
    .await;
    let mut bought = 0;
    for offer in offers["available_phone_numbers"]
        .as_array()
        .expect("offers")
    {
        if bought == 5 {
            break;
        }
        if offer["purchasable"] == json!(true) && offer["capabilities"]["voice"] == json!(true) {
            api(
                &sandbox,
                reqwest::Method::POST,
                "/v1/phone-numbers/purchase",
                Some(json!({ "phone_number": offer["phone_number"], "channel_id": channel, "number_type": "local", "iso_country": "US" })),
            )
            .await;
            bought += 1;
        }
    }
    assert_eq!(bought, 5);
    search(driver, "United Kingdom", "Local").await;
    let sixth = first_buyable(driver).await;
    buy(driver, &sixth).await;
    let words = refusal_of(driver, &sixth).await;
    assert_eq!(
        words,
        json!(
            "Your plan allows 5 phone numbers and you already have 5. Release a number or move to a larger plan to buy another."
        )
    );
    shot(driver, "quota").await;
    click(driver, "#connect-dialog [data-close]").await;

    // Phone width: the channel with its numbers and the dialog stay readable.
    size(driver, PHONE).await;
    until(
        driver,
        "five active rows",
        "document.querySelectorAll(\"#number-list li[data-status='active']\").length === 5",
    )
    .await;
    fits_the_width(driver, "the channel view").await;
    shot(driver, "channel-phone").await;
    search(driver, "Czechia", "Mobile").await;
    fits_the_width(driver, "the Connect voice line dialog").await;
    let czech = text_of(driver, "#result-list li").await;
    assert!(czech.contains("+420"), "{czech}");
    shot(driver, "connect-phone").await;
    click(driver, "#connect-dialog [data-close]").await;

    let violations = driver
        .execute("return window.cspViolations;", Vec::new())
        .await
        .expect("violations")
        .json()
        .clone();
    assert_eq!(violations, json!([]), "Content-Security-Policy violations");

    // Without a token the console asks for one, and says when one is wrong.
    size(driver, DESKTOP).await;
    click(driver, "#sign-out").await;
    until(
        driver,
        "the sign-in form",
        "!document.querySelector('#view-sign-in').hidden",
    )
    .await;
    let input = driver
        .find(By::Css("#token-input"))
        .await
        .expect("token input");
    input.send_keys("not-a-token").await.expect("type");
    input.send_keys(Key::Enter).await.expect("enter");
    let words = until(driver, "the refusal of a bad token", "!document.querySelector('#sign-in-error').hidden && document.querySelector('#sign-in-error').textContent").await;
    assert_eq!(
        words,
        json!("Your sign-in has expired or the token is not valid. Please sign in again.")
    );
    shot(driver, "sign-in").await;
    let input = driver
        .find(By::Css("#token-input"))
        .await
        .expect("token input");
    input.clear().await.expect("clear");
    input.send_keys(sandbox.token.as_str()).await.expect("type");
    input.send_keys(Key::Enter).await.expect("enter");
    until(
        driver,
        "the channels after signing in",
        "!document.querySelector('#view-channels').hidden",
    )
    .await;

    browser.driver.clone().quit().await.expect("quit");
    let log = sandbox.log.lock().expect("log").join("\n");
    assert!(!log.contains(&sandbox.token), "the token was logged");
}
