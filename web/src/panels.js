// The latest-prices table (filterable, scrollable, fine with hundreds of
// symbols: rows are updated in place, at most once per animation frame) and
// the pipeline-health panel.

function fmtPrice(v) {
  if (v === null || v === undefined) return '—';
  const a = Math.abs(v);
  const d = a >= 1000 ? 2 : a >= 1 ? 4 : Math.min(10, Math.ceil(-Math.log10(a || 1)) + 4);
  return Number(v).toFixed(d);
}

export class LatestTable {
  constructor(tbody, filterInput, countEl, onPick) {
    this.tbody = tbody;
    this.countEl = countEl;
    this.onPick = onPick;
    this.rows = new Map(); // symbol -> {tick, dayOpen, dayStart, tr, dirty}
    this.filter = '';
    this.selected = null;
    this.pending = false;
    this.dayOpenQueue = [];
    this.dayOpenBusy = 0;
    filterInput.addEventListener('input', () => {
      this.filter = filterInput.value.trim().toUpperCase();
      this.applyFilter();
    });
  }

  symbols() {
    return [...this.rows.keys()].sort();
  }

  select(symbol) {
    this.selected = symbol;
    for (const [s, r] of this.rows) r.tr.classList.toggle('selected', s === symbol);
  }

  update(tick) {
    let r = this.rows.get(tick.symbol);
    if (!r) {
      const tr = document.createElement('tr');
      tr.innerHTML = '<td class="sym"></td><td class="num price"></td><td class="num chg"></td><td class="num when"></td>';
      tr.addEventListener('click', () => this.onPick(tick.symbol));
      r = { tick, dayOpen: null, dayStart: null, tr, dirty: true, last: null };
      r.tr.children[0].textContent = tick.symbol;
      this.rows.set(tick.symbol, r);
      this.insertSorted(tick.symbol, tr);
      tr.classList.toggle('selected', tick.symbol === this.selected);
      this.applyFilterTo(tick.symbol, r);
      this.countEl.textContent = `${this.rows.size} symbols`;
    }
    r.last = r.tick.price;
    r.tick = tick;
    r.dirty = true;
    const day = Math.floor(tick.time / 86400) * 86400;
    if (r.dayStart !== day) {
      r.dayStart = day;
      r.dayOpen = null;
      this.queueDayOpen(tick.symbol);
    }
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => this.render());
    }
  }

  insertSorted(symbol, tr) {
    for (const row of this.tbody.children) {
      if (row.children[0].textContent > symbol) {
        this.tbody.insertBefore(tr, row);
        return;
      }
    }
    this.tbody.appendChild(tr);
  }

  // The day's open is the open of the symbol's 1d candle; fetched once a day
  // per symbol, a few at a time.
  queueDayOpen(symbol) {
    this.dayOpenQueue.push(symbol);
    this.pumpDayOpen();
  }

  pumpDayOpen() {
    while (this.dayOpenBusy < 4 && this.dayOpenQueue.length) {
      const symbol = this.dayOpenQueue.shift();
      this.dayOpenBusy += 1;
      fetch(`/api/v1/candles?symbol=${encodeURIComponent(symbol)}&interval=1d&limit=1`)
        .then((r) => (r.ok ? r.json() : null))
        .then((j) => {
          const r = this.rows.get(symbol);
          const c = j && j.candles && j.candles[j.candles.length - 1];
          if (r && c && c.time === r.dayStart) {
            r.dayOpen = c.open;
            r.dirty = true;
          }
        })
        .catch(() => {})
        .finally(() => {
          this.dayOpenBusy -= 1;
          this.pumpDayOpen();
          if (!this.pending) {
            this.pending = true;
            requestAnimationFrame(() => this.render());
          }
        });
    }
  }

  render() {
    this.pending = false;
    for (const r of this.rows.values()) {
      if (!r.dirty) continue;
      r.dirty = false;
      const t = r.tick;
      const cells = r.tr.children;
      cells[1].textContent = fmtPrice(t.price);
      cells[1].className = 'num price' + (r.last === null ? '' : t.price > r.last ? ' tick-up' : t.price < r.last ? ' tick-down' : '');
      if (r.dayOpen) {
        const ch = ((t.price - r.dayOpen) / r.dayOpen) * 100;
        cells[2].textContent = `${ch >= 0 ? '+' : ''}${ch.toFixed(2)}%`;
        cells[2].className = 'num chg ' + (ch >= 0 ? 'up' : 'down');
      } else {
        cells[2].textContent = '—';
        cells[2].className = 'num chg muted';
      }
      cells[3].textContent = t.event_time.slice(11, 19);
    }
  }

  applyFilterTo(symbol, r) {
    r.tr.style.display = !this.filter || symbol.toUpperCase().includes(this.filter) ? '' : 'none';
  }

  applyFilter() {
    for (const [s, r] of this.rows) this.applyFilterTo(s, r);
  }
}

function rate(v) {
  if (v === null || v === undefined) return '—';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k/s`;
  return `${v.toFixed(0)} /s`;
}

function secs(v) {
  if (v === null || v === undefined) return '—';
  if (v < 1e-3) return `${(v * 1e6).toFixed(0)} µs`;
  if (v < 1) return `${(v * 1e3).toFixed(1)} ms`;
  return `${v.toFixed(2)} s`;
}

function count(v) {
  if (v === null || v === undefined) return '—';
  return Number(v).toLocaleString();
}

export class HealthPanel {
  constructor(el) {
    this.el = el;
  }

  async refresh() {
    try {
      const r = await fetch('/api/v1/pipeline');
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      this.show(await r.json());
    } catch (e) {
      this.el.querySelector('[data-k=feed]').textContent = 'API unreachable';
    }
  }

  show(p) {
    const set = (k, v, cls) => {
      const e = this.el.querySelector(`[data-k=${k}]`);
      e.textContent = v;
      e.className = 'value' + (cls ? ' ' + cls : '');
    };
    set('ingest', rate(p.ingest.per_second));
    set('process', rate(p.process.per_second));
    set('p50', secs(p.latency.p50_seconds));
    set('p99', secs(p.latency.p99_seconds));
    set('lag', count(p.consumer_lag_records), p.consumer_lag_records > 10000 ? 'warn' : '');
    const up = p.feed.up;
    const conns = p.feed.connections_open;
    if (up && conns !== null && conns !== undefined && conns < 1) set('feed', 'disconnected', 'bad');
    else set('feed', up === null ? 'no source' : up ? 'connected' : 'down', up === false ? 'bad' : up ? 'good' : 'muted');
    set('dead', count(p.dead_letters_total), p.dead_letters_total > 0 ? 'warn' : '');
    set('clients', count(p.live.clients));
  }
}
