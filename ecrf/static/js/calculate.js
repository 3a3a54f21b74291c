// Live preview of calculated items: posts the typed values to the server, which computes them with the
// same functions the save uses (one source of truth). The saved value is always the server's own.
(function () {
  const form = document.querySelector("form[data-calculate-url]");
  if (!form || !form.querySelector("[data-calculated]")) return;
  let timer = null;
  async function refresh() {
    const response = await fetch(form.dataset.calculateUrl, {method: "POST", body: new FormData(form),
                                                              credentials: "same-origin"});
    if (!response.ok) return;
    const results = await response.json();
    for (const [oid, result] of Object.entries(results)) {
      const field = document.getElementById(oid);
      if (field) { field.value = result.value ?? ""; field.title = result.formula ?? ""; }
    }
  }
  form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, 300); });
  form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(refresh, 100); });
})();
