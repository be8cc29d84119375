// The chat page: joins the chat server over a WebSocket and keeps talking to
// it, reconnecting with backoff when it goes away. Who is online is kept here:
// the welcome (or an answer to "who") gives the whole list, and presence
// frames, coalesced by the server, say who left and who joined since. Text
// from the server is only ever set as textContent: no message is rendered as
// HTML.
"use strict";

(function () {
  const page = document.getElementById("chat");
  if (!page) return;
  const url = page.dataset.chatUrl;
  const status = document.getElementById("chat-status");
  const joinForm = document.getElementById("chat-join");
  const nickInput = document.getElementById("chat-nick");
  const room = document.getElementById("chat-room");
  const log = document.getElementById("chat-log");
  const people = document.getElementById("chat-people");
  const sayForm = document.getElementById("chat-say");
  const textInput = document.getElementById("chat-text");

  const MANY = 5; // more names than this in one presence frame: one notice

  const members = new Set(); // who is online, as far as we know
  let socket = null;
  let nick = null; // the nickname we are (or want to be) connected as
  let joined = false; // welcomed on this socket
  let lastText = null; // the last message sent, until it comes back to us
  let retry = 0;
  let welcomedAs = null; // the name we last had, to come back as
  let timer = null;

  function say(text) {
    status.textContent = text;
  }

  function isolated(text) {
    const part = document.createElement("bdi");
    part.textContent = text;
    return part;
  }

  function entry(kind, who, text, at) {
    const item = document.createElement("li");
    item.className = "chat-" + kind;
    if (at) {
      const time = document.createElement("time");
      const date = new Date(at * 1000);
      time.dateTime = date.toISOString();
      time.textContent = date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      item.append(time, " ");
    }
    // Each name and text is isolated (<bdi>): in a right-to-left script,
    // or with a direction override, it would otherwise reorder its line
    // (an Arabic text after an Arabic name showed to the name's left).
    if (who) {
      const name = document.createElement("strong");
      name.append(isolated(who));
      item.append(name, kind === "message" ? ": " : " ");
    }
    item.append(isolated(text));
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
    return item;
  }

  // As the server sorts (by the case-folded name): lower case is folding
  // for all but a few letters (ß, ſ, ς...), which only reorder a little.
  function sorted(list) {
    function order(a, b) {
      return a < b ? -1 : a > b ? 1 : 0;
    }
    return list.slice().sort(function (a, b) {
      return order(a.toLowerCase(), b.toLowerCase()) || order(a, b);
    });
  }

  function names(list) {
    return Array.isArray(list) ? list.filter(function (name) { return typeof name === "string"; }) : [];
  }

  function showPeople() {
    people.replaceChildren(
      ...sorted(Array.from(members)).map(function (name) {
        const item = document.createElement("li");
        item.textContent = name;
        return item;
      })
    );
  }

  function online(list) {
    members.clear();
    names(list).forEach(function (name) { members.add(name); });
    showPeople();
  }

  // "ada joined", one notice a name; or "12 people joined", naming them in
  // the notice's title, when there are more than a few.
  function notice(changed, what, at) {
    if (changed.length > MANY) {
      const item = entry("notice", null, changed.length + " people " + what, at);
      item.title = sorted(changed).join(", ");
    } else {
      changed.forEach(function (name) { entry("notice", name, what, at); });
    }
  }

  // Who left, then who joined: applied to the set, so a name already known
  // (our own, or one the welcome listed) changes nothing and is not noticed.
  function presence(message) {
    const left = names(message.left).filter(function (name) {
      return members.delete(name);
    });
    const came = names(message.joined).filter(function (name) {
      if (members.has(name)) return false;
      members.add(name);
      return true;
    });
    notice(left, "left", message.at);
    notice(came, "joined", message.at);
    if (left.length || came.length) showPeople();
  }

  function chooseNick() {
    joinForm.hidden = false;
    nickInput.focus();
  }

  function offerAgain() {
    if (lastText !== null && !textInput.value) textInput.value = lastText;
    lastText = null;
    textInput.focus();
  }

  function refused(message) {
    const text = typeof message.message === "string" && message.message
      ? message.message
      : "The server refused that (" + message.code + ").";
    switch (message.code) {
      case "nick-taken": // in use, or too like a name in use
        // Back after a lost connection: the name may still be ours on a
        // server that crashed, until its presence expires (seconds), so
        // keep trying with backoff a few times before asking for another.
        if (message.code === "nick-taken" && nick === welcomedAs && retry > 0 && retry < 5) {
          socket.close(1000, "our name is still held");
          break;
        }
      // falls through
      case "bad-nick":
        say(text);
        nick = null;
        socket.close(1000);
        room.hidden = true;
        chooseNick();
        break;
      case "unavailable": // the server cannot reach the room just now
      case "rate-limited": // (a join counts, too)
        // the connection stays: the reader tries again when they like,
        // with the message they sent back in its box, or the join form
        say(text);
        if (joined) {
          offerAgain();
        } else {
          nickInput.value = nick;
          chooseNick();
        }
        break;
      default: // bad-text, bad-json, too-long...: the server's own words
        say(text);
    }
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    clearTimeout(timer);
    say("Connecting to the chat…");
    const old = socket;
    const ws = new WebSocket(url);
    socket = ws;
    joined = false;
    if (old && old.readyState !== WebSocket.CLOSED) old.close(1000); // one at a time
    ws.addEventListener("open", function () {
      if (ws === socket) send({ type: "join", nick: nick });
    });
    ws.addEventListener("message", function (event) {
      if (ws !== socket) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      switch (message.type) {
        case "welcome":
          retry = 0;
          joined = true;
          nick = welcomedAs = message.nick;
          joinForm.hidden = true;
          room.hidden = false;
          log.replaceChildren();
          message.history.forEach(function (m) { entry("message", m.nick, m.text, m.at); });
          online(message.online);
          say("Connected as " + nick + ".");
          textInput.disabled = false;
          textInput.focus();
          break;
        case "message":
          if (message.nick === nick && message.text === lastText) lastText = null;
          entry("message", message.nick, message.text, message.at);
          break;
        case "presence":
          presence(message);
          break;
        case "online":
          online(message.online);
          break;
        case "error":
          refused(message);
          break;
        case "shutdown":
          say(message.message + " Reconnecting when it is back…");
          break;
      }
    });
    ws.addEventListener("close", function (event) {
      if (ws !== socket) return;
      joined = false;
      textInput.disabled = true;
      if (!nick) return; // we left, or the nickname was refused
      const seconds = Math.min(30, 2 ** retry) * (0.75 + Math.random() / 2);
      retry += 1;
      const reason = event.reason || (event.wasClean ? "" : "connection lost");
      const why = reason ? " (" + reason + ")" : "";
      say("Disconnected" + why + ". Reconnecting in " + Math.ceil(seconds) + " s…");
      timer = setTimeout(connect, seconds * 1000);
    });
  }

  joinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    nick = nickInput.value.trim();
    if (!nick) return;
    if (socket && socket.readyState === WebSocket.CONNECTING) return; // joins on open
    if (socket && socket.readyState === WebSocket.OPEN && !joined) {
      say("Joining…"); // again, on the connection we have
      send({ type: "join", nick: nick });
    } else {
      connect();
    }
  });

  sayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = textInput.value;
    if (text.trim() && send({ type: "say", text: text })) {
      lastText = text;
      textInput.value = "";
    }
  });
})();
