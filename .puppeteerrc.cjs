// whatsapp-web.js brings puppeteer, whose install would download a Chrome build. This project
// (and its CI) uses the system's Chromium instead, chosen in the WhatsApp connection's form.
module.exports = { skipDownload: true };
