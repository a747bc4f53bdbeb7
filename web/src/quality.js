// The data-quality panel: per check the total and the symbol seen most
// often, from /api/v1/quality (bounded: the stage keeps the top symbols of
// each check only).

const SHOWN = [
  ['spike', 'Price spikes'],
  ['stall', 'Stalls'],
  ['clock_skew', 'Clock skew'],
  ['out_of_order', 'Out of order'],
  ['late', 'Late'],
  ['duplicate', 'Duplicates'],
  ['crossed', 'Crossed quotes'],
  ['bad_number', 'Bad numbers'],
];

export class QualityPanel {
  constructor(el) {
    this.el = el;
    this.body = el.querySelector('tbody');
    this.note = el.querySelector('.quality-note');
  }

  async refresh() {
    try {
      const r = await fetch('/api/v1/quality');
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      this.show(await r.json());
    } catch (e) {
      this.note.textContent = 'API unreachable';
    }
  }

  show(q) {
    if (!q.available) {
      this.note.textContent = 'no processing stage in this process';
      this.body.replaceChildren();
      return;
    }
    this.note.textContent = q.stalled_now > 0 ? `${q.stalled_now} stalled now` : '';
    const by = new Map(q.checks.map((c) => [c.check, c]));
    const rows = [];
    for (const [k, label] of SHOWN) {
      const c = by.get(k);
      if (!c) continue;
      const tr = document.createElement('tr');
      tr.dataset.check = k;
      const top = c.top[0];
      tr.innerHTML = '<td></td><td class="num"></td><td class="sym"></td>';
      tr.children[0].textContent = label;
      tr.children[1].textContent = Number(c.total).toLocaleString();
      tr.children[1].className = 'num' + (c.total > 0 ? ' warn' : '');
      tr.children[2].textContent = top ? `${top.symbol} (${top.count})` : '';
      if (top) tr.children[2].title = `last at ${top.last_event_time}`;
      rows.push(tr);
    }
    this.body.replaceChildren(...rows);
  }
}
