// The report form without a network. Online the form posts as it always did. Offline
// (navigator.onLine false) the report is kept on the phone (outbox.js) with an
// Idempotency-Key, listed below the form as waiting, and sent to the API when the network
// returns; a post that fails on the way is kept by the service worker and turned into an
// API body here. Chosen photos are not kept: they are added on the order page once sent.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";

  // outbox.js comes later in the page; deferred scripts all run before this event.
  var form = document.getElementById("report-form");
  var box = document.getElementById("outbox");
  if (!form || !box || !self.ShishiOutbox) return;
  var outbox = self.ShishiOutbox;
  var list = box.querySelector("ul");
  var user = Number(document.body.getAttribute("data-user"));
  var text = box.dataset; // the states' labels, translated in the template

  function optionText(name, value) {
    var select = form.elements[name];
    if (!select || !select.options) return "";
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === value) return select.options[i].text.trim();
    }
    return "";
  }

  // The form's fields as the API's report body (the same defaults as the form's view).
  function bodyFrom(fields) {
    var values = {};
    fields.forEach(function (pair) { values[pair[0]] = pair[1]; });
    function get(name) { return (values[name] || "").trim(); }
    function id(name) { return get(name) ? Number(get(name)) : null; }
    var parties = [];
    var count = Number(get("parties-TOTAL_FORMS")) || 1;
    for (var i = 0; i < count; i++) {
      var p = "parties-" + i + "-";
      var party = {
        name: get(p + "name"),
        role: get(p + "role") || "applicant",
        phone: get(p + "phone"),
        id_number: get(p + "id_number"),
        is_elderly_alone: p + "is_elderly_alone" in values,
        is_disabled: p + "is_disabled" in values,
        has_mental_illness: p + "has_mental_illness" in values,
        is_minor: p + "is_minor" in values,
      };
      var filled = party.name || party.phone || party.id_number;
      if (i === 0 || filled) parties.push(party);
    }
    var title = get("title") ||
      (optionText("community", get("community")) + optionText("category", get("category"))).slice(0, 120);
    var body = {
      title: title,
      narrative: get("narrative"),
      category: id("category"),
      community: id("community"),
      risk_level: get("risk_level") || "low",
      source: get("source") || "patrol",
      address: get("address"),
      parties: parties,
    };
    if (get("reporter_unit")) body.reporter_unit = id("reporter_unit");
    return body;
  }

  function fieldsOf() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "csrfmiddlewaretoken") fields.push([name, value]);
    });
    return fields;
  }

  function render() {
    return outbox.all().then(function (items) {
      var mine = items.filter(function (i) { return i.user === user; });
      box.hidden = mine.length === 0;
      var waiting = mine.some(function (i) { return i.state === "waiting" || i.state === "sending"; });
      if (!waiting) document.getElementById("outbox-kept").hidden = true;
      list.textContent = "";
      mine.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item " + item.state;
        li.setAttribute("data-key", item.key);
        var title = document.createElement("strong");
        title.textContent = item.body.title || "—";
        var state = document.createElement("span");
        state.className = "outbox-state";
        state.textContent = text[item.state] || item.state;
        li.append(title, " ", state);
        if (item.state === "sent" && item.order && item.order.id) {
          var link = document.createElement("a");
          link.href = "/orders/" + item.order.id + "/";
          link.textContent = item.order.number || text.view;
          li.append(" ", link);
        }
        if (item.errors && item.errors.length) {
          var errors = document.createElement("ul");
          errors.className = "errors";
          item.errors.forEach(function (line) {
            var e = document.createElement("li");
            e.textContent = line;
            errors.append(e);
          });
          li.append(errors);
        }
        if (item.state === "sent" || item.state === "failed") {
          var drop = document.createElement("button");
          drop.type = "button";
          drop.className = "link";
          drop.textContent = item.state === "sent" ? text.clear : text.discard;
          drop.addEventListener("click", function () { outbox.remove(item.key).then(render); });
          li.append(" ", drop);
        }
        list.append(li);
      });
    });
  }

  function sendNow() {
    if (!navigator.onLine) return render();
    return outbox.send(user, render).then(render, render);
  }

  // Reports the service worker kept from a failed post: now this user's, with a body.
  function adopt() {
    return outbox.all().then(function (items) {
      return Promise.all(items.filter(function (i) { return i.state === "unread"; }).map(function (item) {
        item.user = user;
        item.state = "waiting";
        item.body = bodyFrom(item.fields);
        return outbox.put(item);
      }));
    });
  }

  function sayKept() {
    var note = document.getElementById("outbox-kept");
    note.hidden = false;
    note.focus();
  }

  form.addEventListener("submit", function (event) {
    if (navigator.onLine) return; // posts as always
    event.preventDefault();
    if (!form.reportValidity()) return;
    var fields = fieldsOf();
    outbox.put({
      key: self.crypto.randomUUID(),
      user: user,
      state: "waiting",
      fields: fields,
      body: bodyFrom(fields),
      created: Date.now(),
    }).then(function () {
      form.reset();
      sayKept();
      return render();
    });
  });

  document.addEventListener("outbox:changed", render);
  window.addEventListener("online", sendNow);
  // The service worker kept a post that failed and showed the form again (possibly its
  // copy from the cache, which cannot know).
  if (new URLSearchParams(location.search).get("queued") === "1") sayKept();
  adopt().then(sendNow);
});
