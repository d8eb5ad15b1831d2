// The frontend's page: plain HTML with a little script that fetches /api/dashboard (relative, so it
// also works behind a path rewrite) and shows the forecast, the ad and which pod of which version
// of every service answered.
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function dashboardPage(config) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Weather Forecast</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 48rem; }
  table { border-collapse: collapse; } td, th { padding: .2rem .8rem; border-bottom: 1px solid #ddd; text-align: left; }
  .error { color: #b00; } .who { color: #666; font-size: .85rem; }
</style>
</head>
<body>
<h1>Weather Forecast</h1>
<p class="who">served by frontend ${escapeHtml(config.version)} (${escapeHtml(config.pod)})</p>
<form id="city"><label>City <input name="city" value="Shenzhen"></label> <button>Show</button></form>
<div id="out">loading…</div>
<script>
const out = document.getElementById('out');
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const who = (b) => b ? esc(b.service) + ' ' + esc(b.version) + ' (' + esc(b.pod) + ')' : '';
async function show(city) {
  out.textContent = 'loading…';
  try {
    const r = await fetch('api/dashboard?city=' + encodeURIComponent(city));
    const d = await r.json();
    const f = d.backends.forecast, a = d.backends.advertisement;
    let html = '';
    if (f) {
      html += '<h2>' + esc(f.city) + '</h2><table><tr><th>date</th><th>weather</th><th>high</th><th>low</th></tr>';
      for (const day of f.days) html += '<tr><td>' + esc(day.date) + '</td><td>' + esc(day.condition) + '</td><td>' + esc(day.high) + ' °C</td><td>' + esc(day.low) + ' °C</td></tr>';
      html += '</table>';
      if (f.recommendation) html += '<p><b>Advice:</b> ' + esc(f.recommendation.advice) + (f.recommendation.activities ? ' Try ' + f.recommendation.activities.map(esc).join(' or ') + '.' : '') + '</p>';
    }
    if (a) html += '<p><b>Ad:</b> ' + esc(a.ad.text) + '</p>';
    for (const [name, e] of Object.entries(d.errors || {})) html += '<p class="error">' + esc(name) + ' failed: ' + esc(e.status || '') + ' ' + esc(e.error) + '</p>';
    html += '<p class="who">' + [d, a, f, f && f.recommendation].filter(Boolean).map(who).join(' · ') + '</p>';
    out.innerHTML = html;
  } catch (e) {
    out.innerHTML = '<p class="error">' + esc(e.message) + '</p>';
  }
}
document.getElementById('city').addEventListener('submit', (ev) => { ev.preventDefault(); show(new FormData(ev.target).get('city')); });
show('Shenzhen');
</script>
</body>
</html>
`;
}
