import { ChatScript } from "./simulator";

/**
 * The simulator's built-in conversations, written for this package. Names, numbers,
 * addresses and order ids are fictional (UK 07700 900xxx, US 555-01xx ranges).
 */
export const DEMO_SCRIPT: ChatScript = {
  name: "demo",
  conversations: [
    {
      id: "bakery",
      chatId: "447700900123@c.us",
      isGroup: false,
      messages: [
        { from: "447700900123@c.us", senderName: "Priya", offsetMs: 0, body: "Hi! Do you still have sourdough loaves today?" },
        {
          from: "447700900123@c.us",
          senderName: "Priya",
          offsetMs: 40_000,
          body: "Great, can I get 2 loaves and a box of 6 cinnamon rolls for pickup at 5pm?",
        },
        { from: "447700900123@c.us", senderName: "Priya", offsetMs: 75_000, body: "Name is Priya Shah. Thanks! 🙏" },
      ],
    },
    {
      id: "rastreio",
      chatId: "5511900000101@c.us",
      isGroup: false,
      messages: [
        { from: "5511900000101@c.us", senderName: "Marcos", offsetMs: 0, body: "Oi, boa tarde!" },
        {
          from: "5511900000101@c.us",
          senderName: "Marcos",
          offsetMs: 20_000,
          body: "Meu pedido #BR-55120 ainda não chegou, vocês podem verificar?",
        },
        { from: "5511900000101@c.us", senderName: "Marcos", offsetMs: 65_000, body: "O rastreio é QB123456789BR, parado desde segunda 😕" },
      ],
    },
    {
      id: "licuadora",
      chatId: "5215500000102@c.us",
      isGroup: false,
      messages: [
        { from: "5215500000102@c.us", senderName: "Lucía", offsetMs: 0, body: "Buenas, me llegó la licuadora con la jarra rota 😡" },
        {
          from: "5215500000102@c.us",
          senderName: "Lucía",
          offsetMs: 30_000,
          body: "Es el pedido 88213. Quiero cambio o reembolso, por favor.",
        },
        { from: "5215500000102@c.us", senderName: "Lucía", offsetMs: 90_000, body: "¿Alguien me puede responder?" },
      ],
    },
    {
      id: "kirana",
      chatId: "919800000103@c.us",
      isGroup: false,
      messages: [
        {
          from: "919800000103@c.us",
          senderName: "Rohit",
          offsetMs: 0,
          body: "Namaste bhaiya, kal subah tak 3 kg atta aur 2 packet Maggi bhej doge?",
        },
        { from: "919800000103@c.us", senderName: "Rohit", offsetMs: 50_000, body: "Address: Flat 12B, Green Park, Delhi 110016" },
        { from: "919800000103@c.us", senderName: "Rohit", offsetMs: 80_000, body: "Payment UPI se kar dunga 👍" },
      ],
    },
    {
      id: "team-lunch",
      chatId: "120363000000000104@g.us",
      isGroup: true,
      messages: [
        {
          from: "15555550134@c.us",
          author: "15555550134@c.us",
          senderName: "Dana",
          offsetMs: 0,
          body: "Hey folks, ordering lunch for the office from here again 🍕",
        },
        {
          from: "15555550178@c.us",
          author: "15555550178@c.us",
          senderName: "Sam",
          offsetMs: 15_000,
          body: "Can we add 2 veggie pizzas and a gluten-free one?",
        },
        {
          from: "15555550134@c.us",
          author: "15555550134@c.us",
          senderName: "Dana",
          offsetMs: 45_000,
          body: "Delivery to 400 Market St, Suite 12 by 12:30 please. Card on file.",
        },
      ],
    },
    {
      id: "reparatur",
      chatId: "4915700000105@c.us",
      isGroup: false,
      messages: [
        {
          from: "4915700000105@c.us",
          senderName: "Jonas",
          offsetMs: 0,
          body: "Hallo, mein Handy-Display ist gesprungen. Habt ihr morgen um 10 Uhr einen Termin frei?",
        },
        { from: "4915700000105@c.us", senderName: "Jonas", offsetMs: 35_000, body: "Es ist ein Galaxy A54. Was kostet das ungefähr?" },
        { from: "4915700000105@c.us", senderName: "Jonas", offsetMs: 70_000, body: "Super, danke!" },
      ],
    },
  ],
};
