/**
 * A small sentiment lexicon written for this pack (no third-party word lists), in the
 * languages WhatsApp businesses use: English, Spanish, Portuguese, Hinglish (Latin script),
 * German, French. Keys are lower case without accents; values from -3 (very negative) to +3.
 */
const WORDS: Record<number, string> = {
  3: [
    "excellent amazing awesome fantastic perfect love loved loving wonderful outstanding brilliant superb best incredible",
    "excelente increible perfecto perfecta maravilloso maravillosa encanta encanto encantado encantada genial buenisimo buenisima mejor",
    "otimo otima perfeito perfeita maravilhoso maravilhosa adorei amei amo sensacional incrivel demais top",
    "zabardast mast kamaal shandaar badhiya bahut-accha",
    "ausgezeichnet hervorragend perfekt wunderbar fantastisch toll genial super liebe beste",
    "excellent parfait parfaite merveilleux merveilleuse genial adore formidable magnifique incroyable",
  ].join(" "),
  2: [
    "good great nice happy glad thanks thank thankyou pleased beautiful delicious fast recommend helpful fine enjoy enjoyed lovely cool yay",
    "bueno buena buenos buenas gracias feliz contento contenta rico rica rapido rapida lindo linda hermoso hermosa agradezco recomiendo",
    "bom boa bons boas obrigado obrigada valeu feliz contente gostoso gostosa rapido rapida lindo linda bonito bonita recomendo gostei",
    "accha achha acha badiya shukriya dhanyavad khush sahi mazedaar pyaar",
    "gut gute guter gutes danke dankeschon glucklich schon schnell lecker freundlich empfehle gerne prima",
    "bon bonne bien merci heureux heureuse content contente rapide delicieux joli jolie sympa recommande",
  ].join(" "),
  1: [
    "ok okay okey like likes liked better well interesting sure solved works working fixed",
    "vale bien mejor funciona resuelto claro",
    "beleza certo melhor funciona resolvido legal joia",
    "theek thik chalega",
    "okay besser funktioniert klar gelost",
    "daccord mieux marche fonctionne resolu",
  ].join(" "),
  // Customer-chat words that broader (review and tweet) lexicons count as sentiment; here they are not.
  0: "please pls plz free number numbers help helps join pay paid yeah yes sorry fyi drop honestly pretty grand tx",
  [-1]: [
    "late slow problem issue wait waiting expensive confused unfortunately sadly missing wrong cold",
    "tarde lento lenta problema caro cara espera esperando falta equivocado frio",
    "atraso atrasado atrasada demora demorou lento lenta problema caro cara esperando falta errado frio",
    "late der deri dikkat problem mehenga",
    "spat langsam problem teuer warten leider fehlt falsch kalt",
    "retard lent lente probleme cher chere attente malheureusement manque faux froid",
  ].join(" "),
  [-2]: [
    "bad broken damaged disappointed disappointing poor sad angry annoyed rude dirty never refund complaint unacceptable hate hated cancel useless",
    "malo mala mal roto rota danado danada decepcionado decepcionada triste enojado enojada molesto molesta sucio nunca queja inaceptable odio cancelar",
    "ruim mal quebrado quebrada estragado estragada decepcionado decepcionada triste bravo brava chateado chateada irritado sujo nunca reclamacao inaceitavel odeio cancelar",
    "bekaar bakwas ganda gussa naraz toota tuta kharab",
    "schlecht kaputt beschadigt enttauscht traurig wutend verargert unhoflich schmutzig nie beschwerde inakzeptabel hasse stornieren",
    "mauvais mauvaise casse cassee abime decu decue triste fache enerve sale jamais plainte inacceptable deteste annuler",
  ].join(" "),
  [-3]: [
    "terrible horrible awful worst disgusting scam fraud furious pathetic ridiculous",
    "terrible horrible pesimo pesima asqueroso estafa fraude furioso furiosa ridiculo verguenza",
    "terrivel horrivel pessimo pessima nojento golpe fraude furioso furiosa ridiculo absurdo vergonha",
    "ghatiya bekar-hai dhokha fraud bakwaas",
    "schrecklich furchtbar schlimmste ekelhaft betrug wutend lacherlich katastrophe",
    "horrible affreux pire degoutant arnaque escroquerie furieux ridicule honte",
  ].join(" "),
};

/** A map from groups of space-separated entries, each group with its value. */
function valuedEntries(groups: readonly (readonly [string, number])[]): Map<string, number> {
  return new Map(
    groups.flatMap(([entries, value]) =>
      entries
        .split(/\s+/)
        .filter(Boolean)
        .map((entry) => [entry, value] as [string, number]),
    ),
  );
}

export const LEXICON: ReadonlyMap<string, number> = valuedEntries(
  Object.entries(WORDS).map(([value, words]) => [words, Number(value)] as const),
);

export const EMOJI: ReadonlyMap<string, number> = valuedEntries([
  ["😍 🥰 😘 ❤ 💕 💖 🤩 🙌 🎉 🥳 💯 👏", 3],
  ["😀 😃 😄 😁 😊 🙂 😉 😋 👍 👌 🙏 ✅ ⭐ 🌟 😎 🤗 💪 ✨", 2],
  ["😅 😂 🤣", 1],
  ["😐 😑 🤔", 0],
  ["😕 🙁 ☹ 😟 😬 😒 🙄 😩 😫 😔 😞 ⏳ 👎 ❌", -2],
  ["😡 😠 🤬 😤 😭 😢 💔 🤮 🤢", -3],
]);

export const NEGATORS: ReadonlySet<string> = new Set(
  "not no never dont don't didnt didn't doesnt doesn't isnt isn't wasnt wasn't cant can't cannot wont won't nothing nobody ni nunca tampoco nao nem nada ninguem nahi nahin mat nicht kein keine keinen nie ne pas jamais rien aucun".split(
    " ",
  ),
);

export const INTENSIFIERS: ReadonlyMap<string, number> = valuedEntries([
  ["very really so too extremely super totally absolutely completely", 0.3],
  ["muy tan demasiado super totalmente bastante", 0.3],
  ["muito tao demais super totalmente bem bastante", 0.3],
  ["bahut bohot bahot ekdum bilkul", 0.3],
  ["sehr so total echt extrem ganz wirklich", 0.3],
  ["tres trop vraiment super totalement completement", 0.3],
  ["slightly bit little somewhat poco pouco thoda etwas peu", -0.3],
]);

/** Words after which the rest of the sentence weighs more ("good, but late"). */
export const CONTRASTS: ReadonlySet<string> = new Set(
  "but however although pero aunque sin-embargo mas porem entretanto lekin magar aber jedoch mais pourtant".split(" "),
);

/** Text emoticons, matched as whole space-separated marks in the original text (before tokenizing). */
export const EMOTICONS: ReadonlyMap<string, number> = valuedEntries([
  [":) :-) :)) :-)) =) :] :d :-d =d xd ;) ;-) :p :-p ;p <3 ^^ ^_^", 2],
  [":( :-( :(( =( :[ :'( :/ :-/ d: -_- >:( :@", -2],
]);

/**
 * Function words that tell English from the other languages here. A broader English word list
 * is only consulted for English text: many of its words are other languages' everyday words
 * ("no", "die", "favor", "amor").
 */
export const ENGLISH_FUNCTION_WORDS: ReadonlySet<string> = new Set(
  "the an is are was were i i'm im you your it it's its to of and in on my me this that for with have has had be been do does did not just so what when where how can could would will there they we our at from but if about get got".split(
    " ",
  ),
);
export const OTHER_FUNCTION_WORDS: ReadonlySet<string> = new Set(
  "el los las que y en un una es por para con lo mi tu su pero muy esta este o os as do da em um uma nao com pra voce eu ele ela isso der die das und ist ich nicht sie ein eine mit zu auf den dem le les et est je vous pas une des du pour il elle ce qui hai kya ka ki ke nahi mein se ko bhi aur kar ho raha tha".split(
    " ",
  ),
);
