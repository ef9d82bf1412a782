// Uptime Kuma configuration that AutoKuma cannot make (run by the CronJob uptime-kuma-config).
//
// 1. First start: create the admin account from the Secret uptime-kuma-admin (Uptime Kuma's
//    "setup" call, what the setup wizard does), so that nobody has to open the UI.
// 2. The public status page of status-page.json: created when missing, then its settings and
//    its groups saved with the monitors named there. AutoKuma 2.0.0 can create a status page
//    but not fill its groups (their monitors are Uptime Kuma ids, which AutoKuma does not
//    resolve from names), so this job owns the page.
//
// Idempotent: every run converges the page to the file; a monitor that does not exist yet (AutoKuma
// creates them) fails the run, and the next run retries. It talks to Uptime Kuma's socket.io API
// with the socket.io-client of the Uptime Kuma image itself (NODE_PATH=/app/node_modules).
// The calls and their arguments: louislam/uptime-kuma@1f0755fb044fe08e99fccde6722062fb2bf6c8f4
// (tag 2.5.3) server/server.js ("needSetup", "setup", "login", "getMonitorList") and
// server/socket-handlers/status-page-socket-handler.js ("getStatusPage", "addStatusPage",
// "saveStatusPage"). No template literals here: Flux substitutes dollar-brace in this ConfigMap.
"use strict";

const fs = require("fs");
const { io } = require("socket.io-client");

const TIMEOUT_MS = 30000;

function readSecret(dir, key) {
    return fs.readFileSync(dir + "/" + key, "utf8").trim();
}

function call(socket, event, ...args) {
    return new Promise((resolve, reject) => {
        socket.timeout(TIMEOUT_MS).emit(event, ...args, (err, res) => {
            if (err) {
                reject(new Error(event + ": no answer from Uptime Kuma (" + err.message + ")"));
            } else {
                resolve(res);
            }
        });
    });
}

function must(event, res) {
    if (!res || res.ok !== true) {
        throw new Error(event + " failed: " + (res && res.msg ? res.msg : JSON.stringify(res)));
    }
    return res;
}

// Monitor ids by name, from the "monitorList" event the server sends after "getMonitorList".
function monitorList(socket) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no monitor list from Uptime Kuma")), TIMEOUT_MS);
        socket.once("monitorList", (list) => {
            clearTimeout(timer);
            resolve(list || {});
        });
        call(socket, "getMonitorList").then((res) => must("getMonitorList", res)).catch(reject);
    });
}

// The groups of the page with monitor names replaced by ids; every name must exist.
function publicGroups(groups, monitors) {
    const ids = new Map();
    for (const m of Object.values(monitors)) {
        ids.set(m.name, m.id);
    }
    const missing = [];
    const out = groups.map((g) => ({
        name: g.name,
        monitorList: g.monitors.map((name) => {
            if (!ids.has(name)) {
                missing.push(name);
            }
            return { id: ids.get(name) };
        }),
    }));
    if (missing.length > 0) {
        throw new Error("monitors not (yet) in Uptime Kuma: " + missing.join(", "));
    }
    return out;
}

async function reconcile(socket, page, username, password) {
    if (await call(socket, "needSetup")) {
        must("setup", await call(socket, "setup", username, password));
        console.log("created the admin account " + username);
    }
    must("login", await call(socket, "login", { username: username, password: password, token: "" }));
    const groups = publicGroups(page.groups, await monitorList(socket));

    let current = await call(socket, "getStatusPage", page.slug);
    if (!current || current.ok !== true) {
        must("addStatusPage", await call(socket, "addStatusPage", page.title, page.slug));
        console.log("created status page " + page.slug);
        current = must("getStatusPage", await call(socket, "getStatusPage", page.slug));
    }
    const config = Object.assign({}, current.config, page.settings, {
        slug: page.slug,
        title: page.title,
        // saveStatusPage rejects anything but null or a known analytics type.
        analyticsType: current.config.analyticsType || null,
    });
    const logo = current.config.icon || "/icon.svg";
    must("saveStatusPage", await call(socket, "saveStatusPage", page.slug, config, logo, groups));
    console.log("status page " + page.slug + ": " + groups.length + " group(s), " +
        groups.reduce((n, g) => n + g.monitorList.length, 0) + " monitor(s)");
}

async function main() {
    const url = process.env.KUMA_URL;
    const page = JSON.parse(fs.readFileSync(process.env.STATUS_PAGE_FILE, "utf8"));
    const secrets = process.env.KUMA_ADMIN_DIR;
    const socket = io(url, { transports: ["websocket"], reconnection: false, timeout: TIMEOUT_MS });
    try {
        await new Promise((resolve, reject) => {
            socket.once("connect", resolve);
            socket.once("connect_error", (e) => reject(new Error("cannot reach " + url + ": " + e.message)));
        });
        await reconcile(socket, page, readSecret(secrets, "username"), readSecret(secrets, "password"));
    } finally {
        socket.close();
    }
}

main().then(
    () => process.exit(0),
    (e) => {
        console.error("uptime-kuma-config: " + e.message);
        process.exit(1);
    }
);
