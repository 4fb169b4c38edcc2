// The simulator's chat page: served inline by ../page.ts. Plain browser JS in an IIFE (no build step, no dependency); every bot string is escaped.
(function () {
  'use strict';
  var DTMD = 'dtmd://dingtalkclient/sendMessage?content=';
  // quote: the message the user replies to; staged: an uploaded picture waiting for Send; voice: the text goes as a voice message
  var S = { bot: 'Bot', user: 'You', conv: 'single', msgs: {}, last: {}, unread: {}, connections: 0, offline: false, quote: null, staged: null, voice: false, allGroup: false,
    convList: [{ id: 'single', title: 'Bot', members: [] }, { id: 'group', title: 'Group', members: [] }] };
  var lists = { single: byId('list-single'), group: byId('list-group') };
  var input = byId('input'), wire = byId('wire');

  function byId(id) { return document.getElementById(id); }
  function esc(s) {
    return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }
  function hm(t) { var d = new Date(t); return pad(d.getHours()) + ':' + pad(d.getMinutes()); }
  function hms(t) { var d = new Date(t); return hm(t) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3); }
  function okUrl(u) { return /^(https?:\/\/|dtmd:\/\/)/i.test(u); }
  function node(html) { var t = document.createElement('template'); t.innerHTML = html; return t.content.firstElementChild; }

  // ── tiny safe markdown: escape first, then a few block and inline rules ──
  function inline(s) {
    var keep = [];
    function stash(h) { keep.push(h); return '\u0001' + (keep.length - 1) + '\u0001'; }
    s = s.replace(/\x60([^\x60]+)\x60/g, function (_, c) { return stash('<code>' + c + '</code>'); });
    s = s.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, function (m, t, u) {
      return okUrl(u) ? stash('<a href="' + u + '" target="_blank" rel="noopener">' + emph(t) + '</a>') : m;
    });
    return emph(s).replace(/\u0001(\d+)\u0001/g, function (_, i) { return keep[+i]; });
  }
  function emph(s) {
    return s.replace(/\*\*(.+?)\*\*/g, '<b>$1</b>').replace(/(^|[^*\w])\*(?![\s*])(.+?)\*(?!\w)/g, '$1<i>$2</i>');
  }
  function md(src) {
    var lines = esc(src).split(/\r?\n/), out = [], para = [], list = null, m;
    function flush() {
      if (para.length) out.push('<p>' + para.map(inline).join('<br>') + '</p>');
      if (list) out.push('<' + list.t + '>' + list.items.map(function (x) { return '<li>' + inline(x) + '</li>'; }).join('') + '</' + list.t + '>');
      para = []; list = null;
    }
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (/^\s*\x60\x60\x60/.test(l)) {
        flush(); var code = [];
        for (i++; i < lines.length && !/^\s*\x60\x60\x60/.test(lines[i]); i++) code.push(lines[i]);
        out.push('<pre><code>' + code.join('\n') + '</code></pre>');
      } else if ((m = /^(#{1,6})\s+(.*)$/.exec(l))) {
        flush(); out.push('<h' + m[1].length + '>' + inline(m[2]) + '</h' + m[1].length + '>');
      } else if ((m = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(l))) {
        var t = m[1] ? 'ul' : 'ol';
        if (para.length || (list && list.t !== t)) flush();
        if (!list) list = { t: t, items: [] };
        list.items.push(m[3]);
      } else if ((m = /^&gt;\s?(.*)$/.exec(l))) {
        flush(); var q = [m[1]];
        while (i + 1 < lines.length && (m = /^&gt;\s?(.*)$/.exec(lines[i + 1]))) { q.push(m[1]); i++; }
        out.push('<blockquote>' + q.map(inline).join('<br>') + '</blockquote>');
      } else if (!l.trim()) flush();
      else { if (list) flush(); para.push(l); }
    }
    flush();
    return out.join('');
  }

  // ── messages ──
  function textHtml(m) {
    var h = esc(m.text), pre = '';
    (m.mentions || []).forEach(function (n) {
      var tok = esc('@' + n);
      if (h.indexOf(tok) >= 0) h = h.split(tok).join('<span class="at">' + tok + '</span>');
      else pre += '<span class="at chip">@' + esc(n === 'all' ? 'everyone' : n) + '</span>';
    });
    return '<div class="txt">' + pre + h + '</div>';
  }
  function buttons(m) {
    if (!m.buttons || !m.buttons.length) return '';
    return '<div class="btns">' + m.buttons.map(function (b) {
      if (b.url && okUrl(b.url)) return '<a class="abtn" href="' + esc(b.url) + '" target="_blank" rel="noopener">' + esc(b.text) + '</a>';
      if (m.kind === 'card' || m.kind === 'aiCard') return '<button class="card-button" data-testid="card-button" data-bid="' + esc(b.id) + '">' + esc(b.text) + '</button>';
      return '<span class="abtn off">' + esc(b.text) + '</span>';
    }).join('') + '</div>';
  }
  function title(m, extra) { return m.title || extra ? '<div class="ttl">' + esc(m.title || '') + (extra || '') + '</div>' : ''; }
  var PILL = { processing: 'thinking…', inputing: 'typing', finished: 'done', failed: 'failed' };
  function body(m) {
    var t = m.text || '';
    switch (m.kind) {
      case 'markdown': return '<div class="md">' + md(t) + '</div>';
      case 'actionCard': return title(m) + '<div class="md">' + md(t) + '</div>' + buttons(m);
      case 'aiCard':
        return title(m, '<span class="pill ' + esc(m.status) + '">' + esc(PILL[m.status] || m.status || '') + '</span>') +
          (t ? '<div class="md">' + md(t) + '</div>' : '') + buttons(m) + (m.note ? '<div class="cnote">' + esc(m.note) + '</div>' : '');
      case 'card':
        return title(m) + (m.fields && m.fields.length ? '<div class="kv"><table>' + m.fields.map(function (f) {
          return '<tr><th>' + esc(f[0]) + '</th><td>' + esc(f[1]) + '</td></tr>';
        }).join('') + '</table></div>' : '') + (t ? '<div class="md">' + md(t) + '</div>' : '') + buttons(m) +
          (m.note ? '<div class="cnote">' + esc(m.note) + '</div>' : '');
      case 'link': {
        var parts = t.split('\n'), url = parts.length > 1 && okUrl(parts[parts.length - 1].trim()) ? parts.pop().trim() : '';
        var inner = title(m) + '<div>' + esc(parts.join('\n')) + '</div><div class="u">' + esc(url || '(no url)') + '</div>';
        return url && /^https?:/i.test(url) ? '<a class="lnk" href="' + esc(url) + '" target="_blank" rel="noopener">' + inner + '</a>' : '<div class="lnk">' + inner + '</div>';
      }
      case 'image':
        // the user's picture, from this server; the bot's, a link (the page loads nothing from elsewhere)
        if (m.file) return '<img class="pic" data-testid="picture" src="' + fileUrl(m.file) + '" alt="' + esc(m.file.name) + '">' + (t ? textHtml(m) : '');
        return '🖼 ' + (/^https?:\/\//i.test(t) ? '<a href="' + esc(t) + '" target="_blank" rel="noopener">' + esc(t) + '</a>' : esc(t || '(image)'));
      case 'file':
        if (m.file) return '<a class="file" href="' + fileUrl(m.file) + '" download="' + esc(m.file.name) + '"><i>FILE</i><span>' + esc(m.file.name) + ' · ' + size(m.file.size) + '</span></a>';
        return '<div class="file"><i>FILE</i><span>' + esc(t || m.title || 'file') + ' (file)</span></div>';
      case 'audio': case 'video':
        // the user's voice message: its length and its recognition; the bot's voice or video: what it sent
        if (m.kind === 'audio' && m.file) return '<div class="voice" data-testid="voice">Voice message · ' + Math.max(1, Math.round((m.file.durationMs || 0) / 1000)) + '″</div>' + textHtml(m);
        return '<div class="file"><i>' + (m.kind === 'audio' ? 'VOICE' : 'VIDEO') + '</i><span>' + esc(t) + '</span></div>';
      case 'raw': {
        var p = t; try { p = JSON.stringify(JSON.parse(t), null, 2); } catch (e) { /* keep as is */ }
        return '<pre class="raw">' + esc(p) + '</pre>';
      }
      default: return textHtml(m);
    }
  }
  function fileUrl(f) { return '/sim/file?code=' + encodeURIComponent(f.downloadCode); }
  function size(n) { return n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KB' : (n / 1048576).toFixed(1) + ' MB'; }
  function quoted(q) {
    return q ? '<div class="quote" data-testid="quoted" data-quote-id="' + esc(q.id) + '"><b>' + esc(q.sender) + '</b> ' + esc(snippet(q)) + '</div>' : '';
  }
  function ackClass(a) { return a === '200' ? 'ack-ok' : a === 'LATER' ? 'ack-later' : a === 'pending' ? '' : 'ack-bad'; } // '200 (late)' is bad: the gateway had already redelivered
  function msgHtml(m) {
    var a = ' data-id="' + esc(m.id) + '" data-testid="message" data-from="' + esc(m.from) + '" data-kind="' + esc(m.kind) + '"';
    var note = m.note && m.kind !== 'card' && m.kind !== 'aiCard' ? '<div class="note">' + esc(m.note) + '</div>' : '';
    if (m.kind === 'notice' || m.from === 'system') {
      return '<div class="msg sys"' + a + '>' + (m.kind === 'notice' ? '<span>' + esc(m.text) + '</span>' : '<div class="bubble">' + body(m) + '</div>') + note + '</div>';
    }
    var me = m.from === 'user', meta = '';
    if (m.ack) meta += '<div class="meta ' + ackClass(m.ack) + '">' + (m.ack === 'pending' ? 'waiting for the bot\'s ack…' : 'bot acked ' + esc(m.ack)) + '</div>';
    if (m.reactions && m.reactions.length) meta += '<div class="reactions" data-testid="reactions">' + m.reactions.map(function (r) { return '<span class="reaction">' + esc(r) + '</span>'; }).join('') + '</div>';
    if (me && m.delivered === false && !m.note) meta += '<div class="hint">not delivered: the bot only receives group messages that @ it</div>';
    var boxed = /^(card|aiCard|actionCard|link|raw)$/.test(m.kind) ? ' boxed' : '';
    return '<div class="msg ' + (me ? 'me' : 'bot') + '"' + a + '><div class="av' + (me ? ' me' : '') + '">' + esc(Array.from(m.sender || '?')[0]) +
      '</div><div class="col"><div class="who">' + esc(m.sender) + '<time>' + hm(m.at) + '</time>' +
      (m.recalled ? '' : '<button class="qbtn" data-testid="quote-button" title="Reply to this message with a quote">Quote</button>') + '</div>' + (m.recalled
        // DingTalk removes a recalled robot message without a notice; here it stays, greyed, so you see what happened
        ? '<div class="bubble recalled" data-testid="recalled" title="DingTalk removes it from the chat without a notice">This message was recalled</div>'
        : '<div class="bubble' + boxed + '"' + (m.kind === 'markdown' && m.title ? ' title="' + esc(m.title) + '"' : '') + '>' + quoted(m.quote) + body(m) + '</div>') + meta + note + '</div></div>';
  }
  function upsert(m, fresh, batch) {
    var list = lists[m.conversation];
    if (!list || !m.id) return;
    var near = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    var old = S.msgs[m.id] && list.querySelector('.msg[data-id="' + CSS.escape(m.id) + '"]');
    S.msgs[m.id] = m;
    if (old) old.replaceWith(node(msgHtml(m))); else list.appendChild(node(msgHtml(m)));
    var last = S.last[m.conversation];
    if (!last || last.id === m.id || m.at >= last.at) S.last[m.conversation] = m;
    if (batch) return;
    if (!old && fresh && m.conversation !== S.conv) S.unread[m.conversation] = true;
    list.classList.toggle('is-empty', false);
    if (near || (m.from === 'user' && !old)) list.scrollTop = list.scrollHeight;
    renderConvs();
  }

  // ── conversations ──
  /** One line for a message: the chat list's preview, a quote's. */
  function snippet(m) {
    var k = m.kind, t = (m.text || '').split('\n')[0];
    return m.recalled ? '[Recalled]' : k === 'video' ? '[Video]' : k === 'text' || k === 'notice' ? t : k === 'card' ? '[Card] ' + (m.title || '') : k === 'aiCard' ? '[AI card] ' + (m.title || '') :
      k === 'image' ? '[Image]' + (t && !/^https?:/i.test(t) ? ' ' + t : '') : k === 'file' ? '[File] ' + (m.title || t) : k === 'audio' ? '[Voice]' + (m.file && t ? ' ' + t : '') :
      k === 'link' ? '[Link] ' + (m.title || '') : k === 'raw' ? '[Message]' : (m.title || t);
  }
  function preview(m) {
    if (!m) return 'No messages yet';
    return (m.conversation === 'group' && m.from !== 'system' ? m.sender + ': ' : '') + snippet(m);
  }
  function convTitle(c) { return c.id === 'single' ? S.bot : c.title; }
  function renderConvs() {
    byId('convs').innerHTML = S.convList.map(function (c) {
      var last = S.last[c.id], grp = c.id === 'group';
      return '<div class="conv' + (c.id === S.conv ? ' active' : '') + '" data-testid="conv-' + esc(c.id) + '" data-conv="' + esc(c.id) + '">' +
        '<div class="av' + (grp ? ' grp' : '') + '">' + esc(Array.from(convTitle(c) || '?')[0]) + '</div><div class="ci"><div class="cn"><span>' +
        esc(convTitle(c)) + '</span>' + (grp ? '<em>(' + (c.members || []).length + ')</em>' : '') + '<time>' + (last ? hm(last.at) : '') +
        '</time></div><div class="cp">' + esc(preview(last)) + '</div></div>' + (S.unread[c.id] ? '<i class="dot"></i>' : '') + '</div>';
    }).join('');
  }
  function select(id) {
    if (S.conv !== id && S.quote) { S.quote = null; renderStaged(); } // a quote belongs to its conversation
    S.conv = id; S.unread[id] = false;
    var c = S.convList.filter(function (x) { return x.id === id; })[0] || { id: id, title: id, members: [] };
    var grp = id === 'group';
    lists.single.hidden = grp; lists.group.hidden = !grp;
    byId('mention').hidden = byId('ghint').hidden = !grp;
    byId('khint').hidden = grp;
    byId('ctitle').textContent = convTitle(c);
    byId('csub').textContent = grp ? (c.members || []).length + ' members: ' + (c.members || []).join(', ') : 'Direct chat with the bot';
    byId('ghint').textContent = S.allGroup ? 'The bot receives every group message; isInAtList says whether it was @-ed.' : 'In a group the bot only receives messages that @ it.';
    placeholder();
    lists[id].scrollTop = lists[id].scrollHeight;
    renderConvs();
  }

  function placeholder() {
    var c = S.convList.filter(function (x) { return x.id === S.conv; })[0] || { title: S.conv };
    input.placeholder = S.voice ? 'Voice message: type what the user says (its speech recognition)' :
      S.conv === 'group' ? 'Message ' + c.title + (S.allGroup ? '' : ' (mention @' + S.bot + ' to reach the bot)') : 'Message ' + S.bot;
  }
  // the quote being replied to and the picture waiting for Send, above the composer
  function renderStaged() {
    var h = '';
    if (S.quote) h += '<div class="stage" data-testid="quote-bar"><b>Reply to ' + esc(S.quote.sender) + '</b><span>' + esc(snippet(S.quote)) + '</span><button class="x" data-x="quote" title="Cancel the quote">✕</button></div>';
    if (S.staged) h += '<div class="stage" data-testid="staged-picture"><img src="' + fileUrl(S.staged) + '" alt=""><span>' + esc(S.staged.name) + ' · ' + size(S.staged.size) + '</span><button class="x" data-x="picture" title="Remove the picture">✕</button></div>';
    byId('staged').innerHTML = h;
    byId('staged').hidden = !h;
  }
  function setVoice(on) {
    S.voice = on;
    byId('voice').classList.toggle('on', on);
    byId('voice').setAttribute('aria-pressed', String(on));
    placeholder();
  }

  // ── wire ──
  var DIR = { out: ['out', '⇢ bot'], 'in': ['in', '⇠ ack'], http: ['http', 'HTTP'], gateway: ['gateway', 'gateway'], limit: ['limit', '⚠ limit'] };
  function pretty(t) {
    var s = String(t || ''), i = s.search(/[{[]/);
    if (i < 0) return s;
    try {
      var o = JSON.parse(s.slice(i));
      if (o && typeof o.data === 'string') { try { o.data = JSON.parse(o.data); } catch (e) { /* not JSON */ } }
      return s.slice(0, i) + JSON.stringify(o, null, 2);
    } catch (e) { return s; }
  }
  function addWire(w) {
    var d = DIR[w.dir] || DIR.http, near = wire.scrollHeight - wire.scrollTop - wire.clientHeight < 60;
    // a redelivery carries a new messageId: the badge says which push it repeats
    var r = w.redelivery, redo = r ? '<b class="wd redo" data-testid="redelivery" title="' + esc('redelivery ' + r.attempt + ' of ' + r.of + ', sent as ' + r.messageId) + '">⟲ redelivery ' + esc(r.attempt) + '</b>' : '';
    var row = node('<div class="wr" data-dir="' + esc(w.dir) + '"' + (r ? ' data-redelivery-of="' + esc(r.of) + '" data-message-id="' + esc(r.messageId) + '"' : '') + '><div class="wl"><time>' + hms(w.at) + '</time><b class="wd ' + d[0] + '">' + d[1] +
      '</b>' + redo + '<span class="wk">' + esc(w.kind) + '</span><span class="wt">' + esc(String(w.text || '').replace(/\s+/g, ' ')) + '</span></div></div>');
    row.addEventListener('click', function (e) {
      if (String(window.getSelection() || '') || (e.target.closest && e.target.closest('pre'))) return;
      var pre = row.querySelector('pre');
      if (pre) pre.remove(); else { pre = document.createElement('pre'); pre.textContent = pretty(w.text); row.appendChild(pre); }
    });
    wire.appendChild(row);
    while (wire.children.length > 300) wire.firstElementChild.remove();
    if (near) wire.scrollTop = wire.scrollHeight;
  }

  // ── server ──
  function toast(text, err) {
    var d = document.createElement('div');
    d.className = 'toast' + (err ? ' err' : ''); d.textContent = text;
    byId('toasts').appendChild(d);
    setTimeout(function () { d.classList.add('out'); }, 3000);
    setTimeout(function () { d.remove(); }, 3400);
  }
  function api(path, body) {
    return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) })
      .then(function (r) {
        return r.text().then(function (t) {
          var j = null; try { j = t ? JSON.parse(t) : null; } catch (e) { /* not JSON */ }
          if (!r.ok) throw new Error((j && j.error) || 'HTTP ' + r.status);
          return j || {};
        });
      })
      .catch(function (e) { toast(e && e.message && e.message !== 'Failed to fetch' ? e.message : 'the simulator is unreachable', true); throw e; });
  }
  function send(body) {
    if (!body.text.trim() && !body.picture && !body.file) return Promise.resolve(false);
    return api('/sim/api/send', body)
      // the event stream may already have a newer version (the ack), so the answer only fills a gap
      .then(function (r) { if (r.message && !S.msgs[r.message.id]) upsert(r.message, true); return true; }, function () { return false; });
  }
  // a picture or file the user picked: stored by the simulator, which gives it a downloadCode
  function upload(file) {
    return fetch('/sim/api/upload', { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream', 'x-sim-file-name': encodeURIComponent(file.name) }, body: file })
      .then(function (r) { return r.json().then(function (j) { if (!r.ok) throw new Error(j.error || 'HTTP ' + r.status); return j.file; }); })
      .catch(function (e) { toast(e && e.message && e.message !== 'Failed to fetch' ? e.message : 'the simulator is unreachable', true); throw e; });
  }
  function renderStatus() {
    var b = byId('status');
    b.className = 'badge' + (S.offline ? ' err' : S.connections > 0 ? ' on' : '');
    b.textContent = S.offline ? 'simulator offline' : S.connections > 0 ? 'bot connected (' + S.connections + ')' : 'bot offline';
  }
  function hello(st) {
    S.bot = (st.bot && st.bot.name) || 'Bot'; S.user = (st.user && st.user.name) || 'You'; S.allGroup = st.groupMessages === 'all';
    S.convList = st.conversations && st.conversations.length ? st.conversations : S.convList;
    S.msgs = {}; S.last = {}; S.unread = {}; S.connections = st.connections || 0; S.offline = false;
    lists.single.innerHTML = '<div class="empty">Say something to ' + esc(S.bot) + ' — try 1+1</div>';
    lists.group.innerHTML = '<div class="empty">No messages yet — mention @' + esc(S.bot) + ' to talk to the bot</div>';
    (st.messages || []).forEach(function (m) { upsert(m, false, true); });
    lists.single.classList.toggle('is-empty', !lists.single.querySelector('.msg'));
    lists.group.classList.toggle('is-empty', !lists.group.querySelector('.msg'));
    wire.innerHTML = '';
    (st.wire || []).slice(-300).forEach(addWire);
    byId('env').textContent = 'DINGTALK_CLIENT_ID=' + (st.clientId || '') + '\nDINGTALK_CLIENT_SECRET=(printed in your terminal)\nDINGTALK_OPENAPI_HOST=' + (st.openApiHost || '');
    byId('simurl').textContent = st.url ? 'Simulator: ' + st.url : '';
    byId('mention').textContent = '@' + S.bot;
    renderStatus(); select(S.conv);
    wire.scrollTop = wire.scrollHeight;
  }
  function onEvent(e) {
    var d; try { d = JSON.parse(e.data); } catch (err) { return; }
    if (!d) return;
    if (d.type === 'hello' && d.state) hello(d.state);
    else if (d.type === 'message' && d.message) upsert(d.message, true);
    else if (d.type === 'wire' && d.entry) addWire(d.entry);
    else if (d.type === 'status') { S.connections = d.connections || 0; renderStatus(); }
  }
  var es;
  function connect() {
    es = new EventSource('/sim/events');
    es.onmessage = onEvent;
    ['hello', 'wire', 'status'].forEach(function (n) { es.addEventListener(n, onEvent); });
    es.onopen = function () { S.offline = false; renderStatus(); };
    es.onerror = function () {
      S.offline = true; renderStatus();
      if (es.readyState === 2) setTimeout(connect, 2000); // closed for good: retry ourselves
    };
  }

  // ── UI wiring ──
  function submit() {
    var text = input.value, quote = S.quote, staged = S.staged, voice = S.voice && !staged;
    var body = { conversation: S.conv, text: text };
    if (staged) body.picture = staged.downloadCode;
    else if (voice) body.voice = true;
    else if (quote) body.quote = quote.id; // only a text message quotes; the quote waits for one
    if (!text.trim() && !staged) return;
    input.value = '';
    if (staged) S.staged = null;
    if (body.quote) S.quote = null;
    if (voice) setVoice(false);
    renderStaged();
    send(body).then(function (ok) {
      if (ok) return;
      if (!input.value) input.value = text;
      if (staged && !S.staged) S.staged = staged;
      if (body.quote && !S.quote) S.quote = quote;
      renderStaged();
    });
  }
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) { e.preventDefault(); submit(); }
  });
  byId('send').addEventListener('click', submit);
  byId('mention').addEventListener('click', function () {
    var a = input.selectionStart, b = input.selectionEnd, v = input.value;
    var s = (a > 0 && !/\s/.test(v.charAt(a - 1)) ? ' ' : '') + '@' + S.bot + ' ';
    input.value = v.slice(0, a) + s + v.slice(b);
    input.selectionStart = input.selectionEnd = a + s.length;
    input.focus();
  });
  // the composer's tools: a picture waits for Send (with text it goes as richText), a file goes at once
  byId('pic').addEventListener('click', function () { byId('pick-picture').click(); });
  byId('fil').addEventListener('click', function () { byId('pick-file').click(); });
  byId('voice').addEventListener('click', function () { setVoice(!S.voice); input.focus(); });
  byId('pick-picture').addEventListener('change', function () {
    var f = this.files && this.files[0]; this.value = '';
    if (f) upload(f).then(function (file) { S.staged = file; renderStaged(); input.focus(); }, function () { /* toasted */ });
  });
  byId('pick-file').addEventListener('change', function () {
    var f = this.files && this.files[0], conv = S.conv; this.value = '';
    if (f) upload(f).then(function (file) { return send({ conversation: conv, text: '', file: file.downloadCode }); }, function () { /* toasted */ });
  });
  byId('staged').addEventListener('click', function (e) {
    var x = e.target.closest && e.target.closest('[data-x]');
    if (!x) return;
    if (x.getAttribute('data-x') === 'quote') S.quote = null; else S.staged = null;
    renderStaged(); input.focus();
  });
  byId('convs').addEventListener('click', function (e) {
    var c = e.target.closest('.conv');
    if (c) { select(c.getAttribute('data-conv')); input.focus(); }
  });
  function action(id, path, body, done) {
    byId(id).addEventListener('click', function () { api(path, body).then(function (r) { toast(typeof done === 'function' ? done(r) : done); }, function () { /* toasted */ }); });
  }
  // the gateway pushes events only to a bot subscribed to them: say when it kept one queued
  action('fire', '/sim/api/event', { eventType: 'user_add_org' }, function (r) { return r.queued ? 'EVENT user_add_org queued: no bot subscribed to events' : 'EVENT user_add_org pushed'; });
  action('disc', '/sim/api/disconnect', {}, 'Disconnect frame sent');
  action('kill', '/sim/api/kill', {}, 'Socket killed');
  function showWire(on) {
    document.body.classList.toggle('nowire', !on);
    byId('wiretoggle').classList.toggle('on', on);
    byId('wiretoggle').setAttribute('aria-expanded', String(on));
  }
  byId('wiretoggle').addEventListener('click', function () { showWire(document.body.classList.contains('nowire')); });
  // on a phone the chat comes first: the wire waits below it until asked for
  if (window.matchMedia && window.matchMedia('(max-width: 760px)').matches) { showWire(false); byId('connect').open = false; }
  byId('wclear').addEventListener('click', function () { wire.innerHTML = ''; });
  document.addEventListener('click', function (e) {
    var qb = e.target.closest && e.target.closest('.qbtn');
    if (qb) {
      var qm = S.msgs[qb.closest('.msg').getAttribute('data-id')];
      if (qm) { S.quote = qm; renderStaged(); input.focus(); }
      return;
    }
    var btn = e.target.closest && e.target.closest('.card-button');
    if (btn) {
      var msg = btn.closest('.msg');
      btn.disabled = true;
      api('/sim/api/card', { messageId: msg.getAttribute('data-id'), buttonId: btn.getAttribute('data-bid') })
        .then(null, function () { /* toasted */ }).then(function () { btn.disabled = false; });
      return;
    }
    var a = e.target.closest && e.target.closest('a[href]'), href = a && a.getAttribute('href');
    if (!href || !/^dtmd:/i.test(href)) return;
    e.preventDefault();
    if (href.indexOf(DTMD) !== 0) { toast('unsupported link: ' + href, true); return; }
    var text; try { text = decodeURIComponent(href.slice(DTMD.length)); } catch (err) { text = href.slice(DTMD.length); }
    var m = S.msgs[(a.closest('.msg') || { getAttribute: function () { return ''; } }).getAttribute('data-id')];
    send({ conversation: m ? m.conversation : S.conv, text: text });
  });

  renderConvs(); select('single'); renderStatus(); connect();
})();
