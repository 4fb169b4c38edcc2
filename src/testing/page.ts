/**
 * The chat page of the local DingTalk simulator, served at `GET /`: one self-contained HTML
 * document (inline CSS and vanilla JS, no external URL) with the 1:1 chat and the group, a
 * composer, and the "wire" of frames, acks and HTTP calls. It listens to `GET /sim/events`
 * (Server-Sent Events) and posts to `/sim/api/send`, `/sim/api/card`, `/sim/api/event`,
 * `/sim/api/disconnect` and `/sim/api/kill`.
 *
 * @example
 * ```ts
 * res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
 * res.end(SIMULATOR_PAGE);
 * ```
 */
export const SIMULATOR_PAGE: string = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DingTalk Stream simulator</title>
<link rel="icon" href="data:,">
<style>
:root{--blue:#3370ff;--dt:#0089ff;--bg:#f2f3f5;--line:#e5e6eb;--text:#1f2329;--sub:#8f959e;--red:#f54a45;--green:#2ea121}
*{box-sizing:border-box}
html,body{height:100%;margin:0}
body{font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Microsoft YaHei",Roboto,Helvetica,Arial,sans-serif;color:var(--text);background:var(--bg);display:flex;flex-direction:column;overflow:hidden}
button{font:inherit;cursor:pointer}
a{color:var(--blue)}
.top{height:52px;flex:none;display:flex;align-items:center;gap:10px;padding:0 16px;background:#fff;border-bottom:1px solid var(--line)}
.logo{width:28px;height:28px;border-radius:8px;background:linear-gradient(135deg,var(--dt),var(--blue));color:#fff;display:grid;place-items:center;font-weight:700;font-size:15px}
.top h1{font-size:15px;font-weight:600;margin:0 6px 0 0}
.badge{font-size:12px;padding:2px 10px;border-radius:11px;background:#f0f1f2;color:var(--sub);display:inline-flex;align-items:center;gap:6px}
.badge::before{content:"";width:7px;height:7px;border-radius:50%;background:currentColor}
.badge.on{background:#e8f7e6;color:var(--green)}
.badge.err{background:#feeceb;color:var(--red)}
.spacer{flex:1}
.btn{border:1px solid var(--line);background:#fff;border-radius:6px;padding:4px 12px;font-size:13px;color:var(--text);transition:.15s}
.btn:hover{border-color:var(--blue);color:var(--blue)}
.btn.danger:hover{border-color:var(--red);color:var(--red)}
.btn.primary{background:var(--blue);border-color:var(--blue);color:#fff}
.btn.primary:hover{background:#4e83fd;color:#fff}
.btn.on{background:#eef3ff;border-color:#c7d7ff;color:var(--blue)}
.main{flex:1;display:flex;min-height:0}
.convs{width:250px;flex:none;background:#fff;border-right:1px solid var(--line);padding:10px 8px;overflow-y:auto}
.convs h2,.wire h2{font-size:12px;font-weight:600;color:var(--sub);margin:2px 8px 8px;text-transform:uppercase;letter-spacing:.04em}
.conv{display:flex;align-items:center;gap:10px;padding:9px 10px;border-radius:8px;cursor:pointer;position:relative}
.conv:hover{background:#f5f6f7}
.conv.active{background:#e9f0ff}
.ci{flex:1;min-width:0}
.cn{display:flex;gap:4px;align-items:baseline;font-weight:500}
.cn span{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.cn em{font-style:normal;color:var(--sub);font-weight:400;font-size:12px}
.cn time{margin-left:auto;font-size:11px;color:var(--sub);font-weight:400}
.cp{font-size:12px;color:var(--sub);overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.dot{position:absolute;left:40px;top:8px;width:9px;height:9px;border-radius:50%;background:var(--red);border:2px solid #fff}
.av{width:36px;height:36px;flex:none;border-radius:50%;display:grid;place-items:center;color:#fff;font-weight:600;background:linear-gradient(135deg,#4f9cff,var(--blue))}
.av.grp{border-radius:9px;background:linear-gradient(135deg,#ffb443,#ff8a00)}
.av.me{background:linear-gradient(135deg,#42c2a0,#1fa584)}
.chat{flex:1;min-width:0;display:flex;flex-direction:column;background:var(--bg)}
.chead{height:56px;flex:none;background:#fff;border-bottom:1px solid var(--line);padding:8px 20px}
.chead b{display:block;font-size:15px}
.chead span{font-size:12px;color:var(--sub)}
.msgs{flex:1;min-height:0;position:relative}
.list{position:absolute;inset:0;overflow-y:auto;padding:16px 20px 8px}
.empty{display:none;height:100%;align-items:center;justify-content:center;color:var(--sub)}
.list.is-empty .empty{display:flex}
.msg{display:flex;gap:10px;margin:0 0 16px;align-items:flex-start}
.msg.me{flex-direction:row-reverse}
.col{max-width:72%;min-width:0;display:flex;flex-direction:column;align-items:flex-start}
.me .col{align-items:flex-end}
.who{font-size:12px;color:var(--sub);margin:0 2px 3px}
.who time{margin-left:6px}
.bubble{background:#fff;border-radius:2px 10px 10px 10px;padding:8px 12px;box-shadow:0 1px 2px rgba(31,35,41,.06);overflow-wrap:anywhere;max-width:100%}
.me .bubble{background:#cfe1ff;border-radius:10px 2px 10px 10px}
.bubble.boxed{padding:0;border:1px solid var(--line);border-radius:10px;min-width:280px;overflow:hidden}
.boxed>*{padding-left:14px;padding-right:14px}
.boxed>:first-child{padding-top:12px}.boxed>:last-child{padding-bottom:12px}
.txt{white-space:pre-wrap}
.at{color:var(--blue);font-weight:500}
.chip{display:inline-block;background:#e1ebff;border-radius:4px;padding:0 5px;margin-right:4px;font-size:13px}
.ttl{font-weight:600;font-size:15px;margin-bottom:6px;display:flex;align-items:center;gap:8px}
.md>:first-child{margin-top:0}.md>:last-child{margin-bottom:0}
.md p,.md ul,.md ol,.md pre,.md blockquote{margin:0 0 8px}
.md h1,.md h2,.md h3,.md h4,.md h5,.md h6{margin:4px 0 6px;font-size:15px}
.md h1{font-size:18px}.md h2{font-size:16px}
.md ul,.md ol{padding-left:20px}
.md code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f2f3f5;border-radius:4px;padding:1px 4px}
.md pre{background:#f5f6f7;border-radius:6px;padding:8px 10px;overflow-x:auto}
.md pre code{background:none;padding:0}
.md blockquote{border-left:3px solid #d0d3d6;padding-left:10px;color:#646a73}
.btns{display:flex;flex-wrap:wrap;gap:8px;margin-top:10px;padding-top:10px;border-top:1px solid #f0f1f2}
.abtn,.card-button{flex:1;min-width:90px;text-align:center;border:1px solid var(--line);background:#fff;border-radius:6px;padding:5px 12px;color:var(--blue);text-decoration:none;font-size:13px}
.abtn:hover,.card-button:hover{background:#f3f7ff;border-color:#b5cbff}
.card-button:first-child{background:var(--blue);border-color:var(--blue);color:#fff}
.card-button:disabled{opacity:.55;cursor:wait}
.abtn.off{color:var(--sub);cursor:default}
.kv table{border-collapse:collapse;width:100%;font-size:13px}
.kv th{width:1%;text-align:left;color:var(--sub);font-weight:400;padding:3px 16px 3px 0;white-space:nowrap;vertical-align:top}
.kv td{padding:3px 0}
.cnote{font-size:12px;color:var(--sub);margin-top:8px}
.lnk{display:block;text-decoration:none;color:inherit}
.lnk .u{font-size:12px;color:var(--sub);overflow:hidden;text-overflow:ellipsis;white-space:nowrap;margin-top:6px}
.pill{font-size:11px;font-weight:500;border-radius:9px;padding:0 8px;background:#eef3ff;color:var(--blue);margin-left:auto}
.pill.finished{background:#e8f7e6;color:var(--green)}
.pill.failed{background:#feeceb;color:var(--red)}
.pill.inputing::after{content:"";display:inline-block;width:1.2em;text-align:left;animation:dots 1.2s steps(4) infinite}
@keyframes dots{0%{content:""}25%{content:"."}50%{content:".."}75%{content:"..."}}
.file{display:flex;align-items:center;gap:10px}
.file i{width:30px;height:36px;border-radius:4px;background:#5b8ff9;color:#fff;font:600 10px/36px sans-serif;text-align:center;font-style:normal}
pre.raw{margin:0;font:12px/1.45 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;background:#fafafa}
.meta{font-size:11px;color:var(--sub);margin:3px 2px 0}
.ack-ok{color:var(--green)}.ack-bad{color:var(--red)}.ack-later{color:#d98300}
.hint,.note{font-size:12px;color:var(--sub);margin:3px 2px 0}
.msg.sys{justify-content:center;text-align:center;flex-direction:column;align-items:center}
.msg.sys>span{font-size:12px;color:var(--sub);background:#e6e8eb;border-radius:10px;padding:2px 12px;max-width:80%}
.composer{flex:none;background:#fff;border-top:1px solid var(--line);padding:8px 16px 10px}
.tools{display:flex;gap:6px;min-height:4px}
.mention{border:1px solid #c7d7ff;background:#eef3ff;color:var(--blue);border-radius:12px;padding:1px 10px;font-size:12px}
.composer textarea{display:block;width:100%;border:0;outline:0;resize:none;font:inherit;padding:6px 2px;height:72px;background:transparent;color:var(--text)}
.crow{display:flex;align-items:center;gap:10px;font-size:12px;color:var(--sub)}
.crow .ghint{color:#d98300}
.crow .btn{margin-left:auto;padding:4px 20px}
.wire{width:35%;min-width:300px;flex:none;background:#fff;border-left:1px solid var(--line);display:flex;flex-direction:column;padding-top:10px}
body.nowire .wire{display:none}
.connect{margin:0 10px 8px;border:1px solid var(--line);border-radius:8px;background:#fafbfc;font-size:12px}
.connect summary{cursor:pointer;padding:6px 10px;font-weight:600}
.connect pre{margin:0;padding:0 10px 8px;font:11.5px/1.6 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all}
.connect p{margin:0;padding:0 10px 8px;color:var(--sub)}
.whead{display:flex;align-items:center;padding:0 10px 6px 0}
.whead h2{margin:0 8px}
.whead .btn{margin-left:auto;font-size:12px;padding:1px 8px}
.wlist{flex:1;overflow-y:auto;font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;border-top:1px solid var(--line)}
.wr{padding:3px 10px;border-bottom:1px solid #f3f4f5;cursor:pointer}
.wr:hover{background:#f7f8fa}
.wl{display:flex;gap:8px;white-space:nowrap;align-items:baseline}
.wl time{color:var(--sub)}
.wd{font-weight:600;border-radius:4px;padding:0 5px;font-size:11px}
.wd.out{background:#e1eaff;color:var(--blue)}.wd.in{background:#e3f5e1;color:var(--green)}.wd.http{background:#eff0f1;color:#646a73}
.wd.gateway,.wd.redo{background:#fff3e0;color:#d98300}
.wd.limit{background:#ffece8;color:#d83931}
.wk{font-weight:600}
.wt{overflow:hidden;text-overflow:ellipsis;color:#646a73}
.wr pre{margin:4px 0 2px;white-space:pre-wrap;word-break:break-all;background:#f7f8fa;border-radius:4px;padding:6px 8px;cursor:text}
.toasts{position:fixed;left:50%;top:62px;transform:translateX(-50%);display:flex;flex-direction:column;gap:6px;z-index:9}
.toast{background:#1f2329;color:#fff;font-size:13px;padding:7px 14px;border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.15);transition:opacity .3s}
.toast.err{background:var(--red)}
.toast.out{opacity:0}
</style>
</head>
<body>
<header class="top">
  <div class="logo">D</div><h1>DingTalk Stream simulator</h1>
  <span id="status" class="badge" data-testid="status">connecting…</span>
  <span class="spacer"></span>
  <button class="btn" id="fire" data-testid="fire-event" title="Push an EVENT frame (user_add_org)">Fire EVENT</button>
  <button class="btn" id="disc" data-testid="disconnect" title="Send the bot a SYSTEM disconnect frame">Send disconnect</button>
  <button class="btn danger" id="kill" data-testid="kill" title="Drop the bot's sockets without a goodbye">Kill socket</button>
  <button class="btn on" id="wiretoggle" title="Show or hide the wire">Wire</button>
</header>
<div class="main">
  <nav class="convs"><h2>Chats</h2><div id="convs"></div></nav>
  <section class="chat">
    <div class="chead"><b id="ctitle"></b><span id="csub"></span></div>
    <div class="msgs">
      <div class="list" id="list-single"><div class="empty"></div></div>
      <div class="list" id="list-group" hidden><div class="empty"></div></div>
    </div>
    <div class="composer">
      <div class="tools"><button class="mention" id="mention" data-testid="mention-bot" hidden>@Bot</button></div>
      <textarea id="input" data-testid="composer" placeholder="Type a message" rows="3"></textarea>
      <div class="crow"><span class="ghint" id="ghint" hidden>In a group the bot only receives messages that @ it.</span>
        <span id="khint">Enter to send · Shift+Enter for a new line</span>
        <button class="btn primary" id="send" data-testid="send">Send</button></div>
    </div>
  </section>
  <aside class="wire">
    <details class="connect" open><summary>Connect your bot</summary><pre id="env"></pre><p id="simurl"></p></details>
    <div class="whead"><h2>Wire</h2><button class="btn" id="wclear">Clear</button></div>
    <div class="wlist" id="wire" data-testid="wire"></div>
  </aside>
</div>
<div class="toasts" id="toasts"></div>
<script>
(function () {
  'use strict';
  var DTMD = 'dtmd://dingtalkclient/sendMessage?content=';
  var S = { bot: 'Bot', user: 'You', conv: 'single', msgs: {}, last: {}, unread: {}, connections: 0, offline: false,
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
      if (m.kind === 'card') return '<button class="card-button" data-testid="card-button" data-bid="' + esc(b.id) + '">' + esc(b.text) + '</button>';
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
          (t ? '<div class="md">' + md(t) + '</div>' : '');
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
      case 'image': return '🖼 ' + (/^https?:\/\//i.test(t) ? '<a href="' + esc(t) + '" target="_blank" rel="noopener">' + esc(t) + '</a>' : esc(t || '(image)'));
      case 'file': return '<div class="file"><i>FILE</i><span>' + esc(t || m.title || 'file') + ' (file)</span></div>';
      case 'raw': {
        var p = t; try { p = JSON.stringify(JSON.parse(t), null, 2); } catch (e) { /* keep as is */ }
        return '<pre class="raw">' + esc(p) + '</pre>';
      }
      default: return textHtml(m);
    }
  }
  function ackClass(a) { return a === '200' ? 'ack-ok' : a === 'LATER' ? 'ack-later' : a === 'pending' ? '' : 'ack-bad'; } // '200 (late)' is bad: the gateway had already redelivered
  function msgHtml(m) {
    var a = ' data-id="' + esc(m.id) + '" data-testid="message" data-from="' + esc(m.from) + '" data-kind="' + esc(m.kind) + '"';
    var note = m.note && m.kind !== 'card' ? '<div class="note">' + esc(m.note) + '</div>' : '';
    if (m.kind === 'notice' || m.from === 'system') {
      return '<div class="msg sys"' + a + '>' + (m.kind === 'notice' ? '<span>' + esc(m.text) + '</span>' : '<div class="bubble">' + body(m) + '</div>') + note + '</div>';
    }
    var me = m.from === 'user', meta = '';
    if (m.ack) meta += '<div class="meta ' + ackClass(m.ack) + '">' + (m.ack === 'pending' ? 'waiting for the bot\'s ack…' : 'bot acked ' + esc(m.ack)) + '</div>';
    if (me && m.delivered === false) meta += '<div class="hint">not delivered: the bot only receives group messages that @ it</div>';
    var boxed = /^(card|aiCard|actionCard|link|raw)$/.test(m.kind) ? ' boxed' : '';
    return '<div class="msg ' + (me ? 'me' : 'bot') + '"' + a + '><div class="av' + (me ? ' me' : '') + '">' + esc(Array.from(m.sender || '?')[0]) +
      '</div><div class="col"><div class="who">' + esc(m.sender) + '<time>' + hm(m.at) + '</time></div><div class="bubble' + boxed + '"' +
      (m.kind === 'markdown' && m.title ? ' title="' + esc(m.title) + '"' : '') + '>' + body(m) + '</div>' + meta + note + '</div></div>';
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
  function preview(m) {
    if (!m) return 'No messages yet';
    var k = m.kind, t = (m.text || '').split('\n')[0];
    var p = k === 'text' || k === 'notice' ? t : k === 'card' ? '[Card] ' + (m.title || '') : k === 'aiCard' ? '[AI card] ' + (m.title || '') :
      k === 'image' ? '[Image]' : k === 'file' ? '[File] ' + t : k === 'link' ? '[Link] ' + (m.title || '') : k === 'raw' ? '[Message]' : (m.title || t);
    return (m.conversation === 'group' && m.from !== 'system' ? m.sender + ': ' : '') + p;
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
    S.conv = id; S.unread[id] = false;
    var c = S.convList.filter(function (x) { return x.id === id; })[0] || { id: id, title: id, members: [] };
    var grp = id === 'group';
    lists.single.hidden = grp; lists.group.hidden = !grp;
    byId('mention').hidden = byId('ghint').hidden = !grp;
    byId('khint').hidden = grp;
    byId('ctitle').textContent = convTitle(c);
    byId('csub').textContent = grp ? (c.members || []).length + ' members: ' + (c.members || []).join(', ') : 'Direct chat with the bot';
    input.placeholder = grp ? 'Message ' + c.title + ' (mention @' + S.bot + ' to reach the bot)' : 'Message ' + S.bot;
    lists[id].scrollTop = lists[id].scrollHeight;
    renderConvs();
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
  function send(conv, text) {
    if (!text.trim()) return Promise.resolve(false);
    return api('/sim/api/send', { conversation: conv, text: text })
      // the event stream may already have a newer version (the ack), so the answer only fills a gap
      .then(function (r) { if (r.message && !S.msgs[r.message.id]) upsert(r.message, true); return true; }, function () { return false; });
  }
  function renderStatus() {
    var b = byId('status');
    b.className = 'badge' + (S.offline ? ' err' : S.connections > 0 ? ' on' : '');
    b.textContent = S.offline ? 'simulator offline' : S.connections > 0 ? 'bot connected (' + S.connections + ')' : 'bot offline';
  }
  function hello(st) {
    S.bot = (st.bot && st.bot.name) || 'Bot'; S.user = (st.user && st.user.name) || 'You';
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
    var text = input.value;
    if (!text.trim()) return;
    input.value = '';
    send(S.conv, text).then(function (ok) { if (!ok && !input.value) input.value = text; });
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
  byId('wiretoggle').addEventListener('click', function () {
    byId('wiretoggle').classList.toggle('on', !document.body.classList.toggle('nowire'));
  });
  byId('wclear').addEventListener('click', function () { wire.innerHTML = ''; });
  document.addEventListener('click', function (e) {
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
    send(m ? m.conversation : S.conv, text);
  });

  renderConvs(); select('single'); renderStatus(); connect();
})();
</script>
</body>
</html>
`;
