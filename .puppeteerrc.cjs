// whatsapp-web.js pulls in puppeteer, which cannot download its own Chromium here; the pack uses a system chromium.
module.exports = { skipDownload: true };
