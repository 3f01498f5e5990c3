// The fix preview's page: renders the plan the extension passes in #fix-data; Apply and Discard
// post messages back. Text is always inserted as text, never as HTML.
(function () {
  const vscode = acquireVsCodeApi();
  const fix = JSON.parse(document.getElementById('fix-data').textContent);
  const root = document.getElementById('root');

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'onclick') node.addEventListener('click', v);
      else if (v !== undefined && v !== false) node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== undefined && c !== null) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return node;
  }
  const list = (items) => el('ul', {}, items.map((i) => el('li', {}, i)));
  function decision(name, d) {
    if (!d) return [];
    return [
      el('h2', {}, name),
      el('p', {}, d.allowed ? 'allowed' : 'blocked', ' · danger score ', d.dangerScore, ' · ', el('span', { class: `badge ${d.label === 'safe' ? 'safe' : 'review'}` }, d.label)),
      list(d.reasons),
    ];
  }

  const canApply = fix.status.kind !== 'unvalidated';
  // Sections may be arrays of nodes: append flattens them (it would print an array as text).
  root.append(...[
    el('h1', {}, fix.title),
    el('p', {}, el('span', { class: `badge ${fix.status.kind}` }, fix.status.text), ' · planner: ', fix.planner),
    el('p', {}, fix.violation),
    el('div', { class: 'actions' },
      el('button', { id: 'apply', disabled: !canApply, title: canApply ? '' : 'No validation, no apply', onclick: () => vscode.postMessage({ type: 'apply', fixId: fix.fixId }) }, fix.status.kind === 'review' ? 'Apply (needs review)' : 'Apply'),
      el('button', { id: 'discard', class: 'secondary', onclick: () => vscode.postMessage({ type: 'discard' }) }, 'Discard'),
    ),
    el('h2', {}, 'Root cause'),
    el('p', {}, fix.plan.root_cause),
    el('p', {}, 'Category ', fix.plan.category, ' · confidence ', Math.round(fix.plan.confidence * 100), '%'),
    el('h2', {}, 'Operations'),
    list(fix.plan.operations.map((o) => [el('strong', {}, o.type), ' in ', el('code', {}, o.file), ': ', o.rationale, o.evidence.length ? list(o.evidence) : ''])),
    el('h2', {}, 'Evidence'),
    list(fix.plan.evidence),
    el('h2', {}, 'Changed files'),
    list(fix.files.map((f) => [el('a', { onclick: () => vscode.postMessage({ type: 'diff', fixId: fix.fixId, file: f.file }) }, f.file), ` (+${f.added} −${f.removed})`])),
    decision('Plan policy', fix.planPolicy),
    decision('Patch policy', fix.patchPolicy),
    el('h2', {}, 'Validation'),
    fix.validation
      ? [el('p', {}, el('span', { class: fix.validation.status }, fix.validation.status)),
         list(fix.validation.steps.map((s) => [el('span', { class: s.status }, `${s.name}: ${s.status}`), ` (${Math.round(s.durationMs)} ms)`, s.output ? el('pre', {}, s.output) : '']))]
      : el('p', {}, 'not validated'),
  ].flat());
})();
