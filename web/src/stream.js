// The /api/v1/stream WebSocket: keeps one connection, reconnects by itself
// with exponential backoff (0.5 s doubling to 10 s, with jitter) and restores
// the subscriptions after every reconnect.

export class LiveStream {
  constructor(url, { onMessage, onStatus, onReconnect }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.onReconnect = onReconnect;
    this.series = null; // {symbol, interval}
    this.latest = false;
    this.ws = null;
    this.delay = 500;
    this.opened = 0;
    this.timer = null;
  }

  connect() {
    clearTimeout(this.timer);
    this.onStatus('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.delay = 500;
      this.opened += 1;
      this.onStatus('live');
      if (this.latest) this.send({ action: 'subscribe', channel: 'latest' });
      if (this.series) this.send({ action: 'subscribe', ...this.series });
      // After a gap the chart reloads what it missed.
      if (this.opened > 1 && this.onReconnect) this.onReconnect();
    };
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      this.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onStatus('reconnecting', ev.reason);
      this.retry();
    };
    ws.onerror = () => {};
  }

  retry() {
    const wait = this.delay * (0.75 + Math.random() * 0.5);
    this.delay = Math.min(this.delay * 2, 10000);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  send(obj) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(obj));
  }

  subscribeLatest() {
    this.latest = true;
    this.send({ action: 'subscribe', channel: 'latest' });
  }

  // Replaces the candle subscription.
  subscribeSeries(symbol, interval) {
    if (this.series) this.send({ action: 'unsubscribe', ...this.series });
    this.series = { symbol, interval };
    this.send({ action: 'subscribe', symbol, interval });
  }
}
