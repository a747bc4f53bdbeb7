// The Topics view (Kafdrop's job in our dashboard): topics and their
// partitions, consumer groups with their lag, a message browser that pages
// through one partition, and the dead letters with their reasons. Reads
// /api/v1/topics, /api/v1/groups and /api/v1/deadletters (http/topics_routes.h);
// every page is bounded by the server, the view never asks for more than
// PAGE messages at once.

const PAGE = 20;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}

function bytes(n) {
  if (n == null) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}

async function getJson(url) {
  const r = await fetch(url);
  const j = await r.json();
  if (!r.ok) throw new Error(j.message || `HTTP ${r.status}`);
  return j;
}

function row(cells, attrs = {}) {
  return el('tr', attrs, ...cells.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : el('td', {}, c))));
}

function num(v) {
  return el('td', { class: 'num' }, v == null ? '—' : String(v));
}

export class TopicsView {
  constructor(root) {
    this.root = root;
    this.topic = null;
    this.partition = 0;
    this.page = null; // the last message page answered
    this.loaded = false;
    this.build();
  }

  build() {
    const r = this.root;
    this.topicsBody = el('tbody', { id: 'topics-body' });
    this.partsBody = el('tbody', { id: 'partitions-body' });
    this.groupsBody = el('tbody', { id: 'groups-body' });
    this.msgsBody = el('tbody', { id: 'messages-body' });
    this.lettersBody = el('tbody', { id: 'letters-body' });
    this.error = el('div', { class: 'error', id: 'topics-error' });
    this.source = el('span', { class: 'muted', id: 'topics-source' });
    this.partSel = el('select', { id: 'msg-partition', onchange: () => this.loadPage({}) });
    this.offsetIn = el('input', { id: 'msg-offset', placeholder: 'offset', size: '10' });
    this.timeIn = el('input', { id: 'msg-time', placeholder: 'time (2024-01-02T10:00:00Z)', size: '24' });
    this.prevBtn = el('button', { id: 'msg-prev', onclick: () => this.loadPage({ offset: this.page.prev_offset }) }, '◀ Older');
    this.nextBtn = el('button', { id: 'msg-next', onclick: () => this.loadPage({ offset: this.page.next_offset }) }, 'Newer ▶');
    this.pageInfo = el('span', { class: 'muted', id: 'msg-page' });
    this.kindSel = el('select', { id: 'letter-kind', onchange: () => this.loadLetters() }, el('option', { value: '' }, 'all kinds'));
    this.textIn = el('input', { id: 'letter-text', placeholder: 'reason or origin contains…' });
    this.textIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.loadLetters(); });
    this.lettersInfo = el('span', { class: 'muted', id: 'letters-info' });
    const go = () => {
      const o = this.offsetIn.value.trim();
      const t = this.timeIn.value.trim();
      this.loadPage(o !== '' ? { offset: o } : t !== '' ? { time: t } : {});
    };
    this.offsetIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    this.timeIn.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    const table = (head, body) => el('div', { class: 'table-scroll' },
      el('table', {}, el('thead', {}, el('tr', {}, ...head.map(([h, n]) => el('th', n ? { class: 'num' } : {}, h)))), body));
    r.append(
      el('section', { class: 'tp-col' },
        el('div', { class: 'panel-head' }, el('h2', {}, 'Topics'), this.source),
        table([['Topic'], ['Parts', 1], ['Messages', 1], ['Size', 1]], this.topicsBody),
        el('div', { class: 'panel-head' }, el('h2', {}, 'Partitions')),
        table([['#'], ['Start', 1], ['End', 1], ['Size', 1], ['Leader', 1], ['Replicas'], ['ISR']], this.partsBody)),
      el('section', { class: 'tp-col wide' },
        el('div', { class: 'panel-head' }, el('h2', { id: 'messages-title' }, 'Messages'), this.pageInfo),
        el('div', { class: 'controls' }, 'partition', this.partSel, this.offsetIn, this.timeIn,
          el('button', { id: 'msg-go', onclick: go }, 'Go'), this.prevBtn, this.nextBtn),
        this.error,
        table([['Offset'], ['Time (UTC)'], ['Key'], ['Value']], this.msgsBody),
        el('div', { class: 'panel-head' }, el('h2', {}, 'Dead letters'), this.lettersInfo),
        el('div', { class: 'controls' }, this.kindSel, this.textIn,
          el('button', { id: 'letter-go', onclick: () => this.loadLetters() }, 'Filter')),
        table([['Time (UTC)'], ['Kind'], ['Reason'], ['Origin']], this.lettersBody),
        // Beside the messages, where long group and topic names have room.
        el('div', { class: 'panel-head' }, el('h2', {}, 'Consumer groups')),
        table([['Group'], ['Partition'], ['Committed', 1], ['End', 1], ['Lag', 1], ['Members']], this.groupsBody)));
  }

  // Loads everything; called when the view is shown.
  async show() {
    try {
      await Promise.all([this.loadTopics(), this.loadGroups(), this.loadLetters()]);
      this.loaded = true;
    } catch (e) {
      this.error.textContent = `cannot load topics: ${e.message}`;
    }
  }

  async loadTopics() {
    const j = await getJson('/api/v1/topics');
    this.source.textContent = j.source;
    this.topics = j.topics;
    this.topicsBody.replaceChildren(...j.topics.map((t) => row(
      [el('td', { class: 'sym' }, t.name), num(t.partitions.length), num(t.messages), num(bytes(t.size_bytes))],
      { 'data-topic': t.name, class: t.name === this.topic ? 'selected' : '', onclick: () => this.pickTopic(t.name) })));
    if (!this.topic && j.topics.length) {
      const ticks = j.topics.find((t) => t.name.endsWith('market.ticks'));
      await this.pickTopic((ticks || j.topics[0]).name);
    }
  }

  async pickTopic(name) {
    this.topic = name;
    for (const tr of this.topicsBody.children) tr.classList.toggle('selected', tr.dataset.topic === name);
    const t = await getJson(`/api/v1/topics/${encodeURIComponent(name)}`);
    this.partsBody.replaceChildren(...t.partitions.map((p) => row([num(p.partition), num(p.start_offset),
      num(p.end_offset), num(bytes(p.size_bytes)), num(p.leader), (p.replicas || []).join(','), (p.isr || []).join(',')])));
    // The first partition holding records, so the browser opens on something.
    const busy = t.partitions.find((p) => p.end_offset > p.start_offset) || t.partitions[0];
    this.partSel.replaceChildren(...t.partitions.map((p) => el('option', { value: p.partition }, p.partition)));
    if (busy) this.partSel.value = String(busy.partition);
    await this.loadPage({});
  }

  // One page of messages: {offset} or {time}, else the newest page.
  async loadPage(at) {
    if (!this.topic) return;
    const q = new URLSearchParams({ partition: this.partSel.value || '0', limit: String(PAGE) });
    if (at.offset != null) q.set('offset', at.offset);
    if (at.time != null) q.set('time', at.time);
    try {
      const j = await getJson(`/api/v1/topics/${encodeURIComponent(this.topic)}/messages?${q}`);
      this.page = j;
      this.error.textContent = '';
      document.getElementById('messages-title').textContent = `Messages · ${j.topic} / ${j.partition}`;
      this.pageInfo.textContent = j.messages.length
        ? `offsets ${j.messages[0].offset}–${j.messages[j.messages.length - 1].offset} of ${j.start_offset}–${j.end_offset - 1}`
        : `no messages from offset ${j.offset} (partition holds ${j.start_offset}–${j.end_offset - 1})`;
      this.prevBtn.disabled = j.prev_offset == null;
      this.nextBtn.disabled = j.next_offset == null;
      this.msgsBody.replaceChildren(...j.messages.map((m) => this.messageRow(m)));
    } catch (e) {
      this.error.textContent = e.message;
    }
  }

  messageRow(m) {
    let value;
    if (m.value_format === 'avro') {
      const text = JSON.stringify(m.value);
      value = el('td', { class: 'value decoded', title: `schema ${m.schema_id}: ${text}` }, text);
    } else if (m.value_format === 'null') {
      value = el('td', { class: 'value muted' }, 'null');
    } else {
      value = el('td', { class: 'value hex', title: m.decode_error }, `hex ${m.value_hex.slice(0, 160)}${m.value_hex.length > 160 ? '…' : ''}`);
    }
    const key = m.key != null ? m.key : m.key_hex != null ? `hex ${m.key_hex}` : 'null';
    const headers = m.headers.length ? ` [${m.headers.map((h) => `${h.key}=${h.value}`).join(', ')}]` : '';
    return row([num(m.offset), m.timestamp.replace('T', ' ').replace(/\.\d+Z$/, 'Z'), key + headers, value],
      { 'data-offset': m.offset });
  }

  async loadGroups() {
    const j = await getJson('/api/v1/groups');
    const rows = [];
    for (const g of j.groups) {
      const members = g.members.map((m) => `${m.id} (${m.assignment.length} partitions)`).join(', ') || `${g.state || 'no members'}`;
      rows.push(row([el('td', { class: 'sym' }, g.id), `total (${g.position})`, num(null), num(null),
        el('td', { class: `num lag ${g.lag > 0 ? 'warn' : 'good'}` }, String(g.lag)), members], { 'data-group': g.id }));
      for (const o of g.offsets) {
        rows.push(row(['', `${o.topic} / ${o.partition}`, num(o.committed), num(o.end_offset), num(o.lag), ''],
          { class: 'sub' }));
      }
    }
    this.groupsBody.replaceChildren(...rows);
  }

  async loadLetters() {
    const q = new URLSearchParams({ limit: '50' });
    if (this.kindSel.value) q.set('kind', this.kindSel.value);
    if (this.textIn.value.trim()) q.set('q', this.textIn.value.trim());
    let j;
    try {
      j = await getJson(`/api/v1/deadletters?${q}`);
    } catch (e) {
      this.lettersInfo.textContent = e.message;
      return;
    }
    const kinds = new Set([...this.kindSel.options].map((o) => o.value));
    for (const l of j.letters) {
      if (!kinds.has(l.kind)) {
        kinds.add(l.kind);
        this.kindSel.append(el('option', { value: l.kind }, l.kind));
      }
    }
    this.lettersInfo.textContent = `${j.matched ?? 0} of ${j.scanned} searched${j.older_not_scanned ? ' (newest only)' : ''}`;
    this.lettersBody.replaceChildren(...j.letters.map((l) => row([l.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      el('td', { class: 'kind' }, l.kind), el('td', { class: 'reason' }, l.reason),
      `${l.origin.topic}${l.origin.partition >= 0 ? ` / ${l.origin.partition}` : ''} @ ${l.origin.offset}`])));
  }
}
