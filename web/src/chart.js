// The candlestick chart with volume (lightweight-charts). Bars are kept in a
// sorted array too, so that an update for an older bar (a revision of a final
// candle) can be applied, which series.update() cannot do.
import { createChart, CandlestickSeries, HistogramSeries, ColorType, CrosshairMode } from 'lightweight-charts';

const UP = '#26a69a';
const DOWN = '#ef5350';

function decimalsFor(price) {
  const p = Math.abs(price);
  if (!isFinite(p) || p === 0) return 2;
  if (p >= 1000) return 2;
  if (p >= 1) return 4;
  return Math.min(10, Math.ceil(-Math.log10(p)) + 4);
}

export class CandleChart {
  constructor(el, legend) {
    this.legend = legend;
    this.chart = createChart(el, {
      autoSize: true,
      layout: {
        background: { type: ColorType.Solid, color: '#0d1117' },
        textColor: '#8b949e',
        fontFamily: 'ui-sans-serif, system-ui, sans-serif',
        attributionLogo: false,
      },
      grid: { vertLines: { color: '#161b22' }, horzLines: { color: '#161b22' } },
      crosshair: { mode: CrosshairMode.Normal },
      rightPriceScale: { borderColor: '#30363d' },
      timeScale: { borderColor: '#30363d', timeVisible: true, secondsVisible: true, rightOffset: 4, minBarSpacing: 1 },
    });
    this.candles = this.chart.addSeries(CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN,
    });
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
    this.volume = this.chart.addSeries(HistogramSeries, {
      priceFormat: { type: 'volume' }, priceScaleId: '', lastValueVisible: false, priceLineVisible: false,
    });
    this.volume.priceScale().applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.bars = [];
    this.updates = 0;
    this.chart.subscribeCrosshairMove((p) => {
      const bar = p && p.time !== undefined ? this.bars.find((b) => b.time === p.time) : null;
      this.showLegend(bar || this.bars[this.bars.length - 1]);
    });
  }

  static toBar(c) {
    const bar = {
      time: c.time, open: c.open, high: c.high, low: c.low, close: c.close,
      volume: c.volume, final: c.final, trades: c.trade_count, vwap: c.vwap,
      backfilled: c.backfilled === true, spike: c.spike === true,
    };
    if (bar.backfilled) {
      // From the vendor's bars (gap repair or mdsp backfill), not our ticks: drawn faded.
      const faded = c.close >= c.open ? 'rgba(38,166,154,0.4)' : 'rgba(239,83,80,0.4)';
      Object.assign(bar, { color: faded, borderColor: faded, wickColor: faded });
    }
    return bar;
  }

  volumeOf(b) {
    return { time: b.time, value: b.volume || 0, color: b.close >= b.open ? 'rgba(38,166,154,0.45)' : 'rgba(239,83,80,0.45)' };
  }

  setCandles(rows) {
    this.bars = rows.filter((c) => c.open !== null).map(CandleChart.toBar);
    this.redraw();
    if (this.bars.length) {
      const d = decimalsFor(this.bars[this.bars.length - 1].close);
      this.candles.applyOptions({ priceFormat: { type: 'price', precision: d, minMove: Math.pow(10, -d) } });
    }
    // A fixed bar width, newest at the right: fitting few bars would make
    // them wide and push the ones that come later out of view.
    this.chart.timeScale().applyOptions({ barSpacing: 9 });
    this.chart.timeScale().scrollToRealTime();
    this.showLegend(this.bars[this.bars.length - 1]);
  }

  redraw() {
    this.candles.setData(this.bars);
    this.volume.setData(this.bars.map((b) => this.volumeOf(b)));
  }

  // A run of empty windows from the stream (one message for a gap of any
  // length): a filler bar at the previous close for each of the newest
  // `keep` of them; older ones are beyond what the chart holds.
  applyFillers(f, seconds, keep) {
    if (f.close === null || !(seconds > 0)) return;
    const skip = Math.max(0, f.count - keep);
    for (let i = skip; i < f.count; i += 1) {
      const t = f.time + i * seconds;
      this.applyCandle({
        time: t, open: f.close, high: f.close, low: f.close, close: f.close,
        volume: 0, vwap: f.close, trade_count: 0, final: f.final,
      });
    }
  }

  // A candle from the stream, forming or final: it replaces the bar of its window.
  applyCandle(c) {
    if (c.open === null) return;
    const bar = CandleChart.toBar(c);
    const last = this.bars[this.bars.length - 1];
    this.updates += 1;
    if (!last || bar.time > last.time) {
      this.bars.push(bar);
    } else if (bar.time === last.time) {
      this.bars[this.bars.length - 1] = bar;
    } else {
      const i = this.bars.findIndex((b) => b.time === bar.time);
      if (i >= 0) this.bars[i] = bar;
      else {
        this.bars.push(bar);
        this.bars.sort((a, b) => a.time - b.time);
      }
      this.redraw();
      return;
    }
    this.candles.update(bar);
    this.volume.update(this.volumeOf(bar));
    this.showLegend(bar);
  }

  // A tick moves the forming candle between candle updates: its close, high, low.
  applyTick(t, intervalSeconds) {
    const last = this.bars[this.bars.length - 1];
    if (!last || last.final || t.price === null) return;
    if (t.time < last.time || t.time >= last.time + intervalSeconds) return;
    const bar = { ...last, close: t.price, high: Math.max(last.high, t.price), low: Math.min(last.low, t.price) };
    this.bars[this.bars.length - 1] = bar;
    this.updates += 1;
    this.candles.update(bar);
    this.showLegend(bar);
  }

  showLegend(b) {
    if (!this.legend) return;
    if (!b) {
      this.legend.textContent = 'no candles yet';
      return;
    }
    const d = decimalsFor(b.close);
    const f = (v) => (v === null || v === undefined ? '—' : Number(v).toFixed(d));
    const cls = b.close >= b.open ? 'up' : 'down';
    const when = new Date(b.time * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC');
    this.legend.innerHTML =
      `<span class="muted">${when}${b.final ? '' : ' · forming'}${b.backfilled ? ' · backfilled' : ''}${b.spike ? ' · price spike' : ''}</span> ` +
      `O <b class="${cls}">${f(b.open)}</b> H <b class="${cls}">${f(b.high)}</b> ` +
      `L <b class="${cls}">${f(b.low)}</b> C <b class="${cls}">${f(b.close)}</b> ` +
      `<span class="muted">Vol</span> ${Number(b.volume || 0).toLocaleString(undefined, { maximumFractionDigits: 4 })}` +
      (b.trades !== undefined && !b.backfilled ? ` <span class="muted">Trades</span> ${b.trades}` : '');
  }
}
