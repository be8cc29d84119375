// The chat page: joins the chat server over a WebSocket and keeps talking to
// it, reconnecting with backoff when it goes away. Text from the server is
// only ever set as textContent: no message is rendered as HTML.
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

  let socket = null;
  let nick = null;
  let retry = 0;
  let timer = null;

  function say(text) {
    status.textContent = text;
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
    if (who) {
      const name = document.createElement("strong");
      name.textContent = who;
      item.append(name, kind === "message" ? ": " : " ");
    }
    item.append(document.createTextNode(text));
    log.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function online(names) {
    people.replaceChildren(
      ...names.map(function (name) {
        const item = document.createElement("li");
        item.textContent = name;
        return item;
      })
    );
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
    socket = new WebSocket(url);
    socket.addEventListener("open", function () {
      send({ type: "join", nick: nick });
    });
    socket.addEventListener("message", function (event) {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      switch (message.type) {
        case "welcome":
          retry = 0;
          nick = message.nick;
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
          entry("message", message.nick, message.text, message.at);
          break;
        case "joined":
          entry("notice", message.nick, "joined", message.at);
          online(message.online);
          break;
        case "left":
          entry("notice", message.nick, "left", message.at);
          online(message.online);
          break;
        case "online":
          online(message.online);
          break;
        case "error":
          say(message.message);
          if (message.code === "nick-taken" || message.code === "bad-nick") {
            nick = null;
            socket.close(1000);
            joinForm.hidden = false;
            room.hidden = true;
            nickInput.focus();
          }
          break;
        case "shutdown":
          say(message.message + " Reconnecting when it is back…");
          break;
      }
    });
    socket.addEventListener("close", function () {
      textInput.disabled = true;
      if (!nick) return; // we left, or the nickname was refused
      const seconds = Math.min(30, 2 ** retry) * (0.75 + Math.random() / 2);
      retry += 1;
      say("Disconnected. Reconnecting in " + Math.ceil(seconds) + " s…");
      timer = setTimeout(connect, seconds * 1000);
    });
  }

  joinForm.addEventListener("submit", function (event) {
    event.preventDefault();
    nick = nickInput.value.trim();
    if (nick) connect();
  });

  sayForm.addEventListener("submit", function (event) {
    event.preventDefault();
    const text = textInput.value;
    if (text.trim() && send({ type: "say", text: text })) {
      textInput.value = "";
    }
  });
})();
