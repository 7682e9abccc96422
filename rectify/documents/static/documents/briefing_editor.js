/* 工作简报 editor: each item's text (a <textarea data-rich> holding sanitized HTML) becomes a
   Quill 2 editor with bold and numbered/bulleted lists — no markup to type. On submit the HTML
   goes back into the textarea; the server sanitizes it again (documents.briefing_rich). Without
   Quill (assets missing) the textarea stays as it is. No inline script or style element: CSP. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-briefing-editor]");
  if (!form || typeof window.Quill === "undefined") return;
  var editors = [];
  form.querySelectorAll("textarea[data-rich]").forEach(function (area) {
    var holder = document.createElement("div");
    holder.className = "rich-editor";
    holder.setAttribute("aria-label", area.labels && area.labels[0] ? area.labels[0].textContent : "正文");
    area.insertAdjacentElement("afterend", holder);
    var quill = new window.Quill(holder, {
      theme: "snow",
      formats: ["bold", "list"],
      modules: {
        toolbar: [["bold"], [{ list: "ordered" }, { list: "bullet" }], ["clean"]],
      },
      placeholder: "在此输入正文；选中文字后点 B 加粗，或点列表按钮编号。",
    });
    quill.clipboard.dangerouslyPasteHTML(area.value || "", "silent");
    quill.root.setAttribute("data-testid", "rich-editor");
    // Toolbar buttons carry no text: name them for screen readers and tooltips.
    var names = { "ql-bold": "加粗", "ql-list": "列表", "ql-clean": "清除格式" };
    holder.previousElementSibling.querySelectorAll("button").forEach(function (b) {
      var name = names[b.classList[0]] || "";
      if (b.value === "ordered") name = "编号列表";
      if (b.value === "bullet") name = "项目符号列表";
      if (name) { b.setAttribute("aria-label", name); b.title = name; }
    });
    area.hidden = true;
    editors.push([area, quill]);
  });
  form.addEventListener("submit", function () {
    editors.forEach(function (pair) {
      var quill = pair[1];
      var empty = quill.getText().trim() === "";
      pair[0].value = empty ? "" : quill.getSemanticHTML();
    });
  });
})();
