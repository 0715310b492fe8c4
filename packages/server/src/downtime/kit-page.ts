/**
 * The downtime kit page: one self-contained HTML file holding the kit's data encrypted
 * (gzip, then AES-256-GCM with a key from the passphrase by PBKDF2-SHA256) and the script
 * that asks for the passphrase, decrypts with the browser's WebCrypto, and renders the
 * schedule and face sheets. No server, no network (the page's CSP forbids every fetch),
 * nothing stored in the browser. Patient data is put into the page with `textContent` only.
 */
import { createCipheriv, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { KitData } from './kit-data.js';

/** PBKDF2-SHA256 iterations (OWASP's 2023 figure for PBKDF2-HMAC-SHA256). WebCrypto has no memory-hard KDF. */
export const KIT_KDF_ITERATIONS = 600_000;

/** The encrypted payload as stored in the page. */
export interface SealedKit {
  v: 1;
  kdf: 'PBKDF2-SHA256';
  iterations: number;
  salt: string;
  iv: string;
  /** base64 of AES-256-GCM(gzip(JSON)) with the tag appended (WebCrypto's layout). */
  data: string;
}

/** Encrypts the kit data with the passphrase. */
export async function sealKit(data: KitData, passphrase: string, iterations = KIT_KDF_ITERATIONS): Promise<SealedKit> {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await promisify(pbkdf2)(passphrase.normalize('NFC'), salt, iterations, 32, 'sha256');
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(gzipSync(JSON.stringify(data), { level: 9 })), cipher.final(), cipher.getAuthTag()]);
  return { v: 1, kdf: 'PBKDF2-SHA256', iterations, salt: salt.toString('base64'), iv: iv.toString('base64'), data: body.toString('base64') };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const STYLE = `
*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#111;background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:12px 20px}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;opacity:.85}
main{padding:16px 20px;max-width:1100px;margin:auto}
#unlock{background:#fff;border:1px solid #ccd;border-radius:8px;padding:20px;max-width:460px;margin:40px auto}
#unlock label{display:block;font-weight:600;margin-bottom:6px}#unlock input{width:100%;font-size:16px;padding:8px;border:1px solid #889;border-radius:4px}
#unlock button,.toolbar button{margin-top:10px;font-size:15px;padding:8px 16px;border:0;border-radius:4px;background:#1d3557;color:#fff;cursor:pointer}
#message{margin-top:10px;min-height:1.4em}#message.error{color:#b00020;font-weight:600}
.stale{background:#fff3cd;border:1px solid #e0c060;padding:8px 12px;border-radius:6px;margin-bottom:12px}
section.day{background:#fff;border:1px solid #dde;border-radius:8px;padding:12px 16px;margin-bottom:16px}
h2{font-size:18px;margin:4px 0 10px}h3{font-size:15px;margin:12px 0 4px;color:#1d3557}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e4e4ea;vertical-align:top}th{font-size:12px;color:#445;text-transform:uppercase}
.flag{color:#b00020;font-weight:700}.muted{color:#667}
article.face-sheet{background:#fff;border:1px solid #dde;border-radius:8px;padding:14px 18px;margin:16px 0}
article.face-sheet h2{margin-bottom:2px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:4px 24px}
.allergy{color:#b00020;font-weight:600}pre.note{white-space:pre-wrap;font:13px/1.4 inherit;background:#f6f7f9;padding:8px;border-radius:4px;margin:4px 0}
ul{margin:2px 0 6px;padding-left:20px}
@media print{body{background:#fff;font-size:11px}header{background:none;color:#000;padding:0 0 6px;border-bottom:2px solid #000}
.toolbar,#unlock{display:none}main{padding:0;max-width:none}section.day,article.face-sheet{border:0;padding:0;margin:0}
article.face-sheet{break-before:page;page-break-before:always}section.day{break-inside:auto}tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

/** The page's script: unlock, decrypt, render. Plain browser JavaScript. */
const SCRIPT = String.raw`
(function(){
'use strict';
var sealed = JSON.parse(document.getElementById('kit-data').textContent);
var form = document.getElementById('unlock'), input = document.getElementById('passphrase'), msg = document.getElementById('message'), out = document.getElementById('kit');
function b64(s){var b=atob(s),a=new Uint8Array(b.length);for(var i=0;i<b.length;i++)a[i]=b.charCodeAt(i);return a;}
function el(tag, text, cls){var e=document.createElement(tag);if(text!==undefined&&text!==null)e.textContent=String(text);if(cls)e.className=cls;return e;}
function add(parent){for(var i=1;i<arguments.length;i++)if(arguments[i])parent.appendChild(arguments[i]);return parent;}
function time(s){var m=/T(\d\d:\d\d)/.exec(s||'');return m?m[1]:'';}
function list(title, items, cls){var f=document.createDocumentFragment();add(f,el('h3',title));if(!items||!items.length){add(f,el('p','None recorded','muted'));return f;}var ul=el('ul');items.forEach(function(t){add(ul,el('li',t,cls));});return add(f,ul);}
function table(head, rows){var t=el('table'),tr=el('tr');head.forEach(function(h){add(tr,el('th',h));});add(t,add(el('thead'),tr));var tb=el('tbody');rows.forEach(function(r){var row=el('tr');r.forEach(function(c){var td=el('td');if(c&&c.nodeType)td.appendChild(c);else td.textContent=c==null?'':String(c);add(row,td);});add(tb,row);});return add(t,tb);}
async function decrypt(pass){
  var base = await crypto.subtle.importKey('raw', new TextEncoder().encode(pass.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  var key = await crypto.subtle.deriveKey({name:'PBKDF2', hash:'SHA-256', salt:b64(sealed.salt), iterations:sealed.iterations}, base, {name:'AES-GCM', length:256}, false, ['decrypt']);
  var plain = await crypto.subtle.decrypt({name:'AES-GCM', iv:b64(sealed.iv)}, key, b64(sealed.data));
  var text = await new Response(new Blob([plain]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return JSON.parse(text);
}
function render(d){
  out.textContent='';
  var ageH = (Date.now() - Date.parse(d.dataAsOf)) / 3600000;
  add(out, el('p', 'Data as of ' + new Date(d.dataAsOf).toLocaleString() + (ageH > 1 ? ' — ' + Math.round(ageH) + ' hours old: anything since then is not here.' : '.'), ageH > 1 ? 'stale' : 'muted'));
  var bar = add(el('div', null, 'toolbar'), el('button', 'Print schedule and face sheets'));
  bar.firstChild.addEventListener('click', function(){ window.print(); });
  add(out, bar);
  d.days.forEach(function(day){
    var s = add(el('section', null, 'day'), el('h2', day.label));
    var byClin = {};
    day.appointments.forEach(function(a){ (byClin[a.clinician] = byClin[a.clinician] || []).push(a); });
    var names = Object.keys(byClin).sort();
    if (!names.length) add(s, el('p', 'No appointments.', 'muted'));
    names.forEach(function(c){
      add(s, el('h3', c + ' — ' + byClin[c].length + ' appointment' + (byClin[c].length === 1 ? '' : 's')));
      add(s, table(['Time', 'Patient', 'Visit', 'Status'], byClin[c].map(function(a){
        var link = el('a', a.patient); link.href = '#patient-' + a.patientId;
        return [time(a.start) + (a.end ? '–' + time(a.end) : ''), link, a.type, a.status];
      })));
    });
    add(out, s);
  });
  add(out, el('h2', 'Face sheets (' + d.faceSheets.length + ' scheduled patients)'));
  d.faceSheets.forEach(function(p){
    var a = el('article', null, 'face-sheet'); a.id = 'patient-' + p.id;
    add(a, el('h2', p.name), el('p', ['Born ' + p.birthDate, p.gender, p.mrn ? 'MRN ' + p.mrn : '', p.language ? 'Language: ' + p.language : ''].filter(Boolean).join(' · '), 'muted'));
    var g = el('div', null, 'grid');
    add(g, el('div', 'Phone: ' + (p.phone || '—')), el('div', 'Address: ' + (p.address || '—')), el('div', 'Emergency contact: ' + (p.emergencyContact || '—')), el('div', 'Coverage: ' + (p.coverage.join('; ') || 'none on file')));
    add(a, g);
    add(a, list('Allergies', p.allergies, 'allergy'));
    add(a, el('h3', 'Active medications'));
    if (p.medications.length) add(a, table(['Medication', 'Sig'], p.medications.map(function(m){ return [m.name, m.sig]; }))); else add(a, el('p', 'None recorded', 'muted'));
    add(a, list('Problems', p.problems));
    add(a, el('h3', 'Last vital signs'));
    if (p.vitals.length) add(a, table(['Vital sign', 'Value', 'Flag', 'Date'], p.vitals.map(function(v){ return [v.name, v.value, v.flag ? el('span', v.flag, 'flag') : '', v.date]; }))); else add(a, el('p', 'None recorded', 'muted'));
    add(a, el('h3', 'Recent labs'));
    if (p.labs.length) add(a, table(['Test', 'Result', 'Flag', 'Range', 'Date'], p.labs.map(function(v){ return [v.name, v.value, v.flag ? el('span', v.flag, 'flag') : '', v.range, v.date]; }))); else add(a, el('p', 'None recorded', 'muted'));
    add(a, el('h3', 'Last signed note'));
    if (p.lastNote) add(a, el('p', p.lastNote.title + ' — ' + p.lastNote.date + (p.lastNote.author ? ' — ' + p.lastNote.author : ''), 'muted'), el('pre', p.lastNote.text, 'note')); else add(a, el('p', 'None', 'muted'));
    add(out, a);
  });
  if (d.allPatients) {
    // Thousands of rows: built a slice at a time off the page (one layout at the end), so the
    // schedule and face sheets are usable at once.
    var all = d.allPatients, done = 0, rows = document.createDocumentFragment();
    var s2 = add(el('section', null, 'day all-patients'), el('h2', 'All patients: allergies and medications (' + all.length + ')'));
    var progress = el('p', 'Listing patients…', 'muted listing');
    var tbl = table(['Patient', 'Born', 'MRN', 'Allergies', 'Medications'], []), body = tbl.querySelector('tbody');
    add(out, add(s2, progress, tbl));
    (function more(){
      for (var end = Math.min(all.length, done + 5000); done < end; done++) {
        var p = all[done], row = el('tr');
        [p.name, p.birthDate, p.mrn, p.allergies.join('; ') || '—', p.medications.join('; ') || '—'].forEach(function(c){ add(row, el('td', c)); });
        rows.appendChild(row);
      }
      if (done < all.length) { progress.textContent = 'Listing patients… ' + done + ' of ' + all.length; setTimeout(more, 0); }
      else { body.appendChild(rows); progress.remove(); }
    })();
  }
}
form.addEventListener('submit', function(ev){
  ev.preventDefault();
  msg.className = ''; msg.textContent = 'Opening…';
  decrypt(input.value).then(function(d){ input.value = ''; form.hidden = true; msg.textContent = ''; render(d); }, function(){
    msg.className = 'error'; msg.textContent = 'Wrong passphrase: the kit could not be opened. Check the practice downtime passphrase and try again.';
    input.select();
  });
});
if (!window.crypto || !crypto.subtle || typeof DecompressionStream === 'undefined') { msg.className = 'error'; msg.textContent = 'This browser cannot open the kit (it needs WebCrypto and DecompressionStream: a current Chrome, Edge, Firefox or Safari).'; }
})();
`;

/** The complete HTML file for a sealed kit. `generatedAt` and the practice name are the only plain text. */
export function kitHtml(sealed: SealedKit, meta: { practiceName: string; generatedAt: string }): string {
  const data = JSON.stringify(sealed).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Downtime kit — ${escapeHtml(meta.practiceName)}</title>
<style>${STYLE}</style></head>
<body>
<header><h1>Downtime kit — ${escapeHtml(meta.practiceName)}</h1><p>Written ${escapeHtml(meta.generatedAt)} by Chartroom. Opens without a server or network.</p></header>
<main>
<form id="unlock" autocomplete="off"><label for="passphrase">Practice downtime passphrase</label>
<input id="passphrase" type="password" autofocus required><button type="submit">Open the kit</button><div id="message" role="status" aria-live="polite"></div></form>
<div id="kit"></div>
</main>
<script type="application/json" id="kit-data">${data}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
