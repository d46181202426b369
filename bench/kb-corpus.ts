/**
 * The knowledge base bench's corpus (bench/kb.ts): support articles in Spanish and English, each article
 * written in both, and what readers type: search box queries, misspelled ones and tickets being written.
 * Deterministic: the same seed gives the same texts on every run and machine.
 *
 * An article has a topic (billing, shipping, passwords…, one of the categories) and is drawn as a
 * sequence of slots rendered once per language, so both texts say the same thing in the same order:
 * function words (42 %), general support vocabulary (23 %), words of its topic (26.5 %), of one related
 * topic (4 %) and of any topic (0.5 %), product names (3 %) and error codes (1 %). Within each pool
 * words follow Zipf's law (the r-th most common has weight 1/r; topics 1/r^0.7): a topic's commonest
 * words are in nearly all of its articles, general words like "page" or "error" in most articles, and
 * a long tail of product names (20,000, shared by both languages) in a few each. Titles have 4–10 words, bodies 80–400 in Markdown paragraphs, steps, lists, bold text,
 * links and inline code; the HTML is rendered alongside (what the service stores in body_html).
 */

/** A small seeded PRNG (mulberry32), as bench/sla.ts uses. */
export function random(seed: number): () => number {
  let state = seed | 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}
export type Random = () => number

/** Draws indexes 0…n-1 with weight 1/(i+1)^s. */
class Zipf {
  private readonly cumulative: Float64Array
  constructor(n: number, s = 1) {
    this.cumulative = new Float64Array(n)
    let total = 0
    for (let i = 0; i < n; i++) {
      total += 1 / (i + 1) ** s
      this.cumulative[i] = total
    }
    for (let i = 0; i < n; i++) this.cumulative[i] = (this.cumulative[i] as number) / total
  }
  draw(rnd: Random): number {
    const x = rnd()
    let lo = 0
    let hi = this.cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.cumulative[mid] as number) < x) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

// ---------------------------------------------------------------------------------------------------
// Vocabulary: a concept is `spanish forms|english forms`, most common form first.

interface Topic {
  key: string
  es: string
  en: string
  concepts: string[]
}

const TOPICS: Topic[] = [
  {
    key: 'billing',
    es: 'Facturación',
    en: 'Billing',
    concepts: [
      'factura,facturas|invoice,invoices',
      'facturación,facturar|billing,bill,billed',
      'importe,importes|amount,amounts',
      'impuesto,impuestos|tax,taxes',
      'recibo,recibos|receipt,receipts',
      'cobro,cobros,cobrado|charge,charges,charged',
      'fiscal,fiscales|fiscal',
      'cargo,cargos|fee,fees',
      'descuento,descuentos|discount,discounts',
      'período,periodo,períodos|period,periods',
      'saldo,saldos|balance,balances',
      'crédito,créditos|credit,credits',
      'duplicado,duplicada,duplicados|duplicate,duplicated',
      'empresa,empresas|company,companies',
      'abono,abonos|adjustment,adjustments',
      'IVA|VAT',
    ],
  },
  {
    key: 'payments',
    es: 'Pagos',
    en: 'Payments',
    concepts: [
      'pago,pagos,pagar,pagado|payment,payments,pay,paid',
      'tarjeta,tarjetas|card,cards',
      'transferencia,transferencias|transfer,transfers',
      'banco,bancaria,bancario|bank,banking',
      'rechazado,rechazada,rechazo|declined,decline,rejected',
      'método,métodos|method,methods',
      'domiciliación|debit',
      'recurrente,recurrentes|recurring',
      'moneda,monedas,divisa|currency,currencies',
      'PayPal|PayPal',
      'caducidad,caducada|expiry,expired',
      'autorización,autorizar|authorization,authorize',
      'titular|cardholder',
      'verificación,verificar|verification,verify',
      'reintento,reintentar|retry,retrying',
    ],
  },
  {
    key: 'shipping',
    es: 'Envíos',
    en: 'Shipping',
    concepts: [
      'envío,envíos,enviado|shipping,shipment,shipped',
      'paquete,paquetes|package,packages,parcel',
      'seguimiento|tracking,track',
      'transportista,transportistas|carrier,carriers',
      'entrega,entregas,entregado|delivery,deliveries,delivered',
      'dirección,direcciones|address,addresses',
      'retraso,retrasos,retrasado|delay,delays,delayed',
      'aduana,aduanas|customs',
      'internacional,internacionales|international',
      'exprés,urgente|express,expedited',
      'recogida,recoger|pickup,collect',
      'destino,destinos|destination,destinations',
      'almacén,almacenes|warehouse,warehouses',
      'postal,postales|postal,zip',
      'mensajero,mensajería|courier,couriers',
    ],
  },
  {
    key: 'returns',
    es: 'Devoluciones y reembolsos',
    en: 'Returns and refunds',
    concepts: [
      'devolución,devoluciones,devolver,devuelto|return,returns,returned',
      'reembolso,reembolsos,reembolsar|refund,refunds,refunded',
      'cambio,cambios|exchange,exchanges',
      'etiqueta,etiquetas|label,labels',
      'defectuoso,defectuosa,defecto|defective,defect',
      'embalaje,embalajes|packaging',
      'motivo,motivos|reason,reasons',
      'solicitud,solicitudes,solicitar|request,requests,requested',
      'reclamación,reclamaciones|claim,claims',
      'política,políticas|policy,policies',
      'coste,costes|cost,costs',
      'abierto,abierta|opened,unsealed',
      'plazo,plazos|deadline,window',
      'original,originales|original',
    ],
  },
  {
    key: 'account',
    es: 'Cuenta y acceso',
    en: 'Account and sign-in',
    concepts: [
      'contraseña,contraseñas|password,passwords',
      'cuenta,cuentas|account,accounts',
      'sesión,sesiones|session,sessions',
      'correo,correos,electrónico|email,emails',
      'restablecer,restablecimiento|reset,resetting',
      'bloqueado,bloqueada,bloqueo|locked,lockout',
      'acceso,acceder,accesos|access,login,logins',
      'código,códigos|code,codes',
      'registro,registrarse|signup,registration,register',
      'perfil,perfiles|profile,profiles',
      'nombre,nombres|name,names',
      'enlace,enlaces|link,links',
      'olvidado,olvidé|forgot,forgotten',
      'identidad|identity',
      'usuario,usuarios|username,usernames',
    ],
  },
  {
    key: 'security',
    es: 'Seguridad',
    en: 'Security',
    concepts: [
      'seguridad|security',
      'autenticación|authentication',
      'factor,factores|factor,factors',
      'dispositivo,dispositivos|device,devices',
      'sospechoso,sospechosa,sospechosas|suspicious',
      'fraude,fraudulento,fraudulenta|fraud,fraudulent',
      'cifrado,cifrar|encryption,encrypted',
      'token,tokens|token,tokens',
      'phishing|phishing',
      'alerta,alertas|alert,alerts',
      'clave,claves|key,keys',
      'certificado,certificados|certificate,certificates',
      'actividad,actividades|activity,activities',
      'protección,proteger|protection,protect',
      'vulnerabilidad,vulnerabilidades|vulnerability,vulnerabilities',
    ],
  },
  {
    key: 'orders',
    es: 'Pedidos',
    en: 'Orders',
    concepts: [
      'pedido,pedidos|order,orders',
      'compra,compras,comprar|purchase,purchases,buy',
      'carrito|cart,basket',
      'confirmación,confirmar,confirmado|confirmation,confirm,confirmed',
      'cancelar,cancelación,cancelado|cancel,cancellation,cancelled',
      'modificar,modificación|modify,modification',
      'número,números|number,numbers',
      'artículo,artículos|item,items',
      'existencias|stock',
      'disponible,disponibilidad|available,availability',
      'reserva,reservar|reservation,reserve',
      'historial|history',
      'cliente,clientes|customer,customers',
      'tienda,tiendas|store,stores,shop',
      'oferta,ofertas|offer,offers,deal',
    ],
  },
  {
    key: 'subscriptions',
    es: 'Suscripciones',
    en: 'Subscriptions',
    concepts: [
      'suscripción,suscripciones|subscription,subscriptions',
      'plan,planes|plan,plans',
      'renovación,renovar,renovado|renewal,renew,renewed',
      'mensual,mensuales|monthly',
      'anual,anuales|annual,yearly',
      'prueba,pruebas|trial,trials',
      'gratuito,gratuita,gratis|free',
      'premium|premium',
      'licencia,licencias|license,licenses',
      'asiento,asientos|seat,seats',
      'degradar|downgrade',
      'mejora,mejorar|upgrade,upgrading',
      'ciclo,ciclos|cycle,cycles',
      'automática,automático,automáticamente|automatic,automatically',
      'límite,límites|limit,limits',
    ],
  },
  {
    key: 'integrations',
    es: 'Integraciones',
    en: 'Integrations',
    concepts: [
      'integración,integraciones,integrar|integration,integrations,integrate',
      'api|api',
      'webhook,webhooks|webhook,webhooks',
      'llamada,llamadas|call,calls',
      'conector,conectores,conectar|connector,connectors,connect',
      'sincronización,sincronizar|sync,synchronization,synchronize',
      'plataforma,plataformas|platform,platforms',
      'endpoint,endpoints|endpoint,endpoints',
      'respuesta,respuestas|response,responses',
      'parámetro,parámetros|parameter,parameters',
      'documentación|documentation',
      'desarrollador,desarrolladores|developer,developers',
      'Zapier|Zapier',
      'Shopify|Shopify',
      'Salesforce|Salesforce',
      'Slack|Slack',
    ],
  },
  {
    key: 'notifications',
    es: 'Notificaciones',
    en: 'Notifications',
    concepts: [
      'notificación,notificaciones|notification,notifications',
      'aviso,avisos|notice,notices,warning',
      'SMS|SMS',
      'push|push',
      'boletín,boletines|newsletter,newsletters',
      'preferencia,preferencias|preference,preferences',
      'silenciar,silenciado|mute,muted',
      'recordatorio,recordatorios|reminder,reminders',
      'spam|spam',
      'bandeja|inbox',
      'remitente,remitentes|sender,senders',
      'recibir,recibido|receive,received',
      'frecuencia|frequency',
      'resumen,resúmenes|digest,summary',
      'canal,canales|channel,channels',
    ],
  },
  {
    key: 'mobile',
    es: 'Aplicación móvil',
    en: 'Mobile app',
    concepts: [
      'aplicación,aplicaciones|app,apps,application',
      'móvil,móviles|mobile,phone',
      'Android|Android',
      'iOS,iPhone|iOS,iPhone',
      'instalar,instalación|install,installation',
      'actualización,actualizar,actualizaciones|update,updates,updating',
      'versión,versiones|version,versions',
      'pantalla,pantallas|screen,screens',
      'descargar,descarga|download,downloads',
      'bloquea,cuelga|crash,crashes,freezes',
      'tableta,tabletas|tablet,tablets',
      'caché|cache',
      'batería|battery',
      'ubicación|location',
      'almacenamiento|storage',
    ],
  },
  {
    key: 'reports',
    es: 'Informes',
    en: 'Reports',
    concepts: [
      'informe,informes|report,reports',
      'estadística,estadísticas|statistics,stats',
      'gráfico,gráficos|chart,charts',
      'panel,paneles|dashboard,dashboards',
      'métrica,métricas|metric,metrics',
      'filtro,filtros,filtrar|filter,filters',
      'fecha,fechas|date,dates',
      'rango,intervalo|range,interval',
      'tendencia,tendencias|trend,trends',
      'rendimiento|performance',
      'promedio,media|average',
      'satisfacción|satisfaction',
      'columna,columnas|column,columns',
      'agrupar,agrupado|grouping,grouped',
      'programado,programar|scheduled,schedule',
    ],
  },
  {
    key: 'users',
    es: 'Usuarios y permisos',
    en: 'Users and permissions',
    concepts: [
      'usuario,usuarios|user,users',
      'permiso,permisos|permission,permissions',
      'rol,roles|role,roles',
      'administrador,administradores|administrator,admin,admins',
      'equipo,equipos|team,teams',
      'invitación,invitar,invitado|invitation,invite,invited',
      'agente,agentes|agent,agents',
      'grupo,grupos|group,groups',
      'miembro,miembros|member,members',
      'propietario,propietaria|owner,owners',
      'eliminar,eliminado|delete,deleted',
      'desactivar,desactivado|deactivate,deactivated',
      'departamento,departamentos|department,departments',
      'asignar,asignación|assign,assignment',
      'organización,organizaciones|organization,organizations',
    ],
  },
  {
    key: 'privacy',
    es: 'Privacidad y datos',
    en: 'Privacy and data',
    concepts: [
      'privacidad|privacy',
      'datos|data',
      'personal,personales|personal',
      'RGPD|GDPR',
      'consentimiento|consent',
      'cookie,cookies|cookie,cookies',
      'borrado,borrar|erasure,erase',
      'conservación|retention',
      'copia,copias|copy,copies,backup',
      'tratamiento|processing',
      'derecho,derechos|right,rights',
      'portabilidad|portability',
      'terceros|parties',
      'anonimizar,anónimo,anónimos|anonymize,anonymous',
      'legal,legales|legal',
    ],
  },
  {
    key: 'products',
    es: 'Productos y catálogo',
    en: 'Products and catalog',
    concepts: [
      'producto,productos|product,products',
      'catálogo,catálogos|catalog,catalogs',
      'precio,precios|price,prices,pricing',
      'talla,tallas|size,sizes',
      'color,colores|color,colors',
      'variante,variantes|variant,variants',
      'categoría,categorías|category,categories',
      'imagen,imágenes|image,images',
      'descripción,descripciones|description,descriptions',
      'referencia,referencias|reference,references',
      'marca,marcas|brand,brands',
      'colección,colecciones|collection,collections',
      'medida,medidas|measurement,dimensions',
      'material,materiales|material,materials',
      'ficha,fichas|sheet,sheets',
    ],
  },
  {
    key: 'warranty',
    es: 'Garantía y reparaciones',
    en: 'Warranty and repairs',
    concepts: [
      'garantía,garantías|warranty,warranties,guarantee',
      'reparación,reparaciones,reparar|repair,repairs',
      'avería,averías|fault,breakdown,malfunction',
      'técnico,técnica,técnicos|technician,technical',
      'servicio,servicios|service,services',
      'pieza,piezas|part,parts',
      'sustitución,sustituir|replacement,replace',
      'diagnóstico|diagnosis,diagnostic',
      'cobertura|coverage',
      'comprobante,comprobantes|proof',
      'fabricante,fabricantes|manufacturer,manufacturers',
      'encender,enciende|power,powers',
      'funciona,funcionar,funcionamiento|work,working,works',
      'roto,rota,rotura|broken,breakage',
      'ruido,ruidos|noise,noises',
    ],
  },
  {
    key: 'settings',
    es: 'Configuración',
    en: 'Settings',
    concepts: [
      'configuración,configurar,configurado|configuration,configure,configured',
      'idioma,idiomas|language,languages',
      'zona,zonas|zone,zones,timezone',
      'horario,horarios|hours,opening',
      'personalizar,personalización|customize,customization',
      'plantilla,plantillas|template,templates',
      'firma,firmas|signature,signatures',
      'dominio,dominios|domain,domains',
      'logotipo,logo|logo',
      'tema,temas|theme,themes',
      'formato,formatos|format,formats',
      'campo,campos|field,fields',
      'predeterminado,predeterminada|default',
      'regla,reglas|rule,rules',
      'automatización,automatizaciones|automation,automations',
    ],
  },
  {
    key: 'import',
    es: 'Importar y exportar',
    en: 'Import and export',
    concepts: [
      'importar,importación|import,importing',
      'exportar,exportación|export,exporting',
      'archivo,archivos|file,files',
      'CSV|CSV',
      'Excel|Excel',
      'hoja,hojas|spreadsheet,spreadsheets',
      'migración,migrar|migration,migrate',
      'fila,filas|row,rows',
      'carga,cargar|upload,uploading',
      'tamaño|filesize',
      'codificación|encoding',
      'separador|delimiter',
      'masivo,masiva|bulk',
      'histórico,históricos|historical',
      'duplicado,duplicados|duplicate,duplicates',
    ],
  },
  {
    key: 'support',
    es: 'Contactar con soporte',
    en: 'Contact support',
    concepts: [
      'soporte|support',
      'ticket,tickets|ticket,tickets',
      'chat|chat',
      'teléfono,teléfonos|telephone,phones',
      'atención|assistance,care',
      'consulta,consultas|question,questions,inquiry',
      'contacto,contactar|contact,contacting',
      'escalar,escalado|escalate,escalation',
      'prioridad,prioridades|priority,priorities',
      'incidencia,incidencias|incident,issue,issues',
      'queja,quejas|complaint,complaints',
      'valoración,valorar|rating,rate',
      'formulario,formularios|form,forms',
      'espera|waiting,queue',
      'urgencia,urgente|urgency,urgent',
    ],
  },
]

/** Words of every topic, most common first. */
const GENERAL = [
  'clic|click,clicking',
  'página,páginas|page,pages',
  'botón,botones|button,buttons',
  'opción,opciones|option,options',
  'error,errores|error,errors',
  'cambiar,cambia,cambios|change,changes,changed',
  'menú,menús|menu,menus',
  'seleccionar,selecciona|select,choose',
  'guardar,guarda,guardado|save,saved',
  'mensaje,mensajes|message,messages',
  'problema,problemas|problem,problems',
  'paso,pasos|step,steps',
  'ajustes|settings',
  'información|information,info',
  'ayuda,ayudar|help,helping',
  'solución,soluciones,solucionar|solution,solutions,fix',
  'minuto,minutos|minute,minutes',
  'día,días|day,days',
  'hora,horas|hour,hours',
  'nuevo,nueva,nuevos|new',
  'ver,consultar|see,view',
  'abrir,abre|open,opens',
  'cerrar,cierra|close,closes',
  'escribir,escribe|write,type',
  'buscar,búsqueda|search,find',
  'lista,listas|list,lists',
  'sección,secciones|section,sections',
  'superior|top',
  'inferior|bottom',
  'derecha|right',
  'izquierda|left',
  'web,sitio|website,site',
  'navegador,navegadores|browser,browsers',
  'Chrome|Chrome',
  'Safari|Safari',
  'Firefox|Firefox',
  'ordenador|computer',
  'resultado,resultados|result,results',
  'estado,estados|status,state',
  'activo,activa,activar|active,activate,enabled',
  'pendiente,pendientes|pending',
  'completar,completado|complete,completed',
  'proceso,procesos|process,processes',
  'tiempo|time',
  'momento|moment',
  'posible,posibles|possible',
  'importante|important',
  'siguiente|next,following',
  'anterior|previous',
  'fácil,fácilmente|easy,easily',
  'rápido,rápidamente|quick,quickly,fast',
  'recomendamos,recomendar|recommend,recommended',
  'asegúrate,asegurarse|ensure,sure',
  'comprueba,comprobar|check,checking',
  'detalle,detalles|detail,details',
  'valor,valores|value,values',
  'texto|text',
  'ejemplo,ejemplos|example,examples',
  'caso,casos|case,cases',
  'intenta,intentar,intento|try,attempt',
  'primero,primera|first',
  'último,última|last,latest',
  'siempre|always',
  'nunca|never',
  'ahora|now',
  'continuación|continue',
  'volver,vuelve|back,return',
  'aparece,aparecer|appears,appear',
  'mostrar,muestra|show,display',
  'usar,utilizar,uso|use,using,usage',
  'crear,creado|create,created',
  'editar,edición|edit,editing',
  'añadir,añade|add,adding',
  'revisar,revisa|review,reviewing',
  'contenido|content',
  'nota,notas|note,notes',
  'icono,iconos|icon,icons',
  'ventana,ventanas|window,windows',
  'documento,documentos|document,documents',
  'cantidad|quantity',
  'total|total',
]

/** Function words (stop words), most common first. */
const FUNCTION_WORDS = {
  es: 'de la que el en y a los se del las un por con no una su para es al lo como más o pero sus le si este esta ya cuando puede puedes hay desde donde sin sobre entre también tu tus te muy todo todos hasta otro otra ese esa cada debe debes tiene tienes está están ser será haya después antes mismo solo aquí así',
  en: 'the to and a of in you is your for it that on with can be this or if are from as not will at by an have do we our when then after before all any more once only also there which into out up about how what need should may must has been was they their each other same here so just',
}

const TITLE_LEADS = [
  'Cómo|How to',
  'Por qué|Why',
  'Qué hacer si|What to do if',
  'Solución:|Fix:',
  'Guía de|Guide to',
  'Preguntas frecuentes sobre|FAQ about',
  'Problemas con|Problems with',
  'Cambiar|Change',
  'Configurar|Set up',
  'No puedo|I cannot',
]

const HEADINGS = [
  'Antes de empezar|Before you start',
  'Pasos|Steps',
  'Solución de problemas|Troubleshooting',
  'Más información|More information',
  'Requisitos|Requirements',
  'Qué ocurre después|What happens next',
]

const TICKET_OPENINGS = [
  'Hola,|Hi,',
  'Buenos días,|Good morning,',
  'Hola, tengo un problema:|Hi, I have a problem:',
  'Buenas tardes,|Good afternoon,',
  '',
]
const TICKET_CLOSINGS = [
  'Gracias.|Thanks.',
  'Un saludo.|Regards.',
  'Gracias de antemano.|Thanks in advance.',
  '',
]

export type Lang = 'es' | 'en'
export const LANGS: Lang[] = ['es', 'en']

interface Concept {
  es: string[]
  en: string[]
}

const parseConcept = (line: string): Concept => {
  const [es = '', en = ''] = line.split('|')
  return { es: es.split(','), en: en.split(',') }
}
const pair = (line: string) => {
  const [es = '', en = ''] = line.split('|')
  return { es, en }
}

const topicConcepts = TOPICS.map((t) => t.concepts.map(parseConcept))
const generalConcepts = GENERAL.map(parseConcept)
const functionWords = { es: FUNCTION_WORDS.es.split(' '), en: FUNCTION_WORDS.en.split(' ') }

/** Every word form of the vocabulary (lower case), to tell a typo from another real word. */
export const knownWords = new Set(
  [...topicConcepts.flat(), ...generalConcepts]
    .flatMap((c) => [...c.es, ...c.en])
    .map((w) => w.toLowerCase()),
)

/** Product and feature names: pronounceable, shared by both languages, a long Zipf tail. */
const NAME_COUNT = 20_000
const names: string[] = (() => {
  const rnd = random(4_242)
  const onsets = [
    'b',
    'c',
    'd',
    'f',
    'g',
    'k',
    'l',
    'm',
    'n',
    'p',
    'r',
    's',
    't',
    'v',
    'z',
    'br',
    'tr',
    'cl',
    'pl',
    'gr',
    'st',
  ]
  const vowels = ['a', 'e', 'i', 'o', 'u', 'ia', 'io', 'ea']
  const codas = ['', '', '', 'n', 'r', 'l', 's', 'x', 'm']
  const seen = new Set<string>(knownWords)
  const out: string[] = []
  while (out.length < NAME_COUNT) {
    const syllables = 2 + Math.floor(rnd() * 3)
    let word = ''
    for (let i = 0; i < syllables; i++) {
      word += onsets[Math.floor(rnd() * onsets.length)]
      word += vowels[Math.floor(rnd() * vowels.length)]
      if (i === syllables - 1 || rnd() < 0.3) word += codas[Math.floor(rnd() * codas.length)]
    }
    if (word.length < 4 || word.length > 12 || seen.has(word)) continue
    seen.add(word)
    out.push(word[0]?.toUpperCase() + word.slice(1))
  }
  return out
})()

// Topics differ in size as real knowledge bases do: a few hold most of the articles.
const topicZipf = new Zipf(TOPICS.length, 0.7)
const topicWordZipf = TOPICS.map((t) => new Zipf(t.concepts.length, 1))
const generalZipf = new Zipf(GENERAL.length, 1)
const functionZipf = { es: new Zipf(functionWords.es.length, 1), en: new Zipf(functionWords.en.length, 1) }
const nameZipf = new Zipf(NAME_COUNT, 1)

export const topics = TOPICS.map((t, i) => ({ index: i, key: t.key, es: t.es, en: t.en }))

// ---------------------------------------------------------------------------------------------------
// Slots and their rendering

/** A word slot: a function word, a concept (pool, index, form), a name or an error code. */
type Slot =
  | { kind: 'function' }
  | { kind: 'concept'; concept: Concept; form: number; bold: boolean }
  | { kind: 'name'; index: number }
  | { kind: 'code'; code: string }

function drawSlot(rnd: Random, topic: number, secondary: number): Slot {
  const x = rnd()
  if (x < 0.42) return { kind: 'function' }
  let concept: Concept
  if (x < 0.65) concept = generalConcepts[generalZipf.draw(rnd)] as Concept
  else if (x < 0.915) concept = topicConcepts[topic]?.[topicWordZipf[topic]?.draw(rnd) ?? 0] as Concept
  else if (x < 0.955)
    concept = topicConcepts[secondary]?.[topicWordZipf[secondary]?.draw(rnd) ?? 0] as Concept
  else if (x < 0.96) {
    const other = topicZipf.draw(rnd)
    concept = topicConcepts[other]?.[topicWordZipf[other]?.draw(rnd) ?? 0] as Concept
  } else if (x < 0.99) return { kind: 'name', index: nameZipf.draw(rnd) }
  else return { kind: 'code', code: `${rnd() < 0.5 ? 'ERR' : 'E'}-${1000 + Math.floor(rnd() * 9000)}` }
  return { kind: 'concept', concept, form: Math.floor(rnd() * 3), bold: rnd() < 0.03 }
}

const formOf = (concept: Concept, form: number, lang: Lang) => {
  const forms = concept[lang]
  return forms[form % forms.length] as string
}

interface Rendered {
  text: string
  html: string
}

const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/** Words of a sentence in one language; `rnd` picks the function words (so both languages draw their own). */
function renderWords(slots: Slot[], lang: Lang, rnd: Random, markup: boolean): Rendered {
  const text: string[] = []
  const html: string[] = []
  for (const slot of slots) {
    let word: string
    let md: string
    let h: string
    switch (slot.kind) {
      case 'function':
        word = functionWords[lang][functionZipf[lang].draw(rnd)] as string
        md = word
        h = word
        break
      case 'concept':
        word = formOf(slot.concept, slot.form, lang)
        md = markup && slot.bold ? `**${word}**` : word
        h = markup && slot.bold ? `<strong>${escapeHtml(word)}</strong>` : escapeHtml(word)
        break
      case 'name':
        word = names[slot.index] as string
        md = word
        h = word
        break
      case 'code':
        word = slot.code
        md = markup ? `\`${word}\`` : word
        h = markup ? `<code>${word}</code>` : word
        break
    }
    text.push(md)
    html.push(h)
  }
  return { text: text.join(' '), html: html.join(' ') }
}

const capitalize = (s: string) => (s.length > 0 ? (s[0] as string).toUpperCase() + s.slice(1) : s)

function sentence(rnd: Random, topic: number, secondary: number, min: number, max: number): Slot[] {
  const n = min + Math.floor(rnd() * (max - min + 1))
  return Array.from({ length: n }, () => drawSlot(rnd, topic, secondary))
}

type Block =
  | { kind: 'paragraph'; sentences: Slot[][] }
  | { kind: 'heading'; heading: number; extra: Slot[] }
  | { kind: 'steps' | 'bullets'; items: Slot[][] }
  | { kind: 'link'; sentence: Slot[]; anchor: Slot[]; target: string }

export interface ArticleText {
  title: string
  body: string
  bodyHtml: string
  words: number
}

export interface Article {
  topic: number
  visibility: 'public' | 'contacts' | 'internal'
  archived: boolean
  tags: string[]
  /** Days before now it was published. */
  ageDays: number
  es: ArticleText
  en: ArticleText
}

const countWords = (slots: Slot[][]) => slots.reduce((n, s) => n + s.length, 0)

/** Article number `n`: the same on every run. */
export function article(n: number): Article {
  const rnd = random(0x9e3779b1 ^ (n * 2_654_435_761))
  const topic = topicZipf.draw(rnd)
  // A related topic the article touches on (4 % of its words), any of the others.
  const secondary = (topic + 1 + Math.floor(rnd() * (TOPICS.length - 1))) % TOPICS.length
  // Body length: 80–400 words, most of them short.
  const target = 80 + Math.floor(320 * rnd() ** 1.6)
  const titleLead = Math.floor(rnd() * TITLE_LEADS.length)
  const titleSlots = Array.from({ length: 3 + Math.floor(rnd() * 6) }, () => {
    const x = rnd()
    if (x < 0.2) return { kind: 'function' } as Slot
    const concept =
      x < 0.8
        ? (topicConcepts[topic]?.[topicWordZipf[topic]?.draw(rnd) ?? 0] as Concept)
        : (generalConcepts[generalZipf.draw(rnd)] as Concept)
    return { kind: 'concept', concept, form: Math.floor(rnd() * 3), bold: false } as Slot
  })
  const blocks: Block[] = []
  let words = 0
  const add = (block: Block, count: number) => {
    blocks.push(block)
    words += count
  }
  const paragraph = () => {
    const sentences = Array.from({ length: 2 + Math.floor(rnd() * 3) }, () =>
      sentence(rnd, topic, secondary, 7, 18),
    )
    add({ kind: 'paragraph', sentences }, countWords(sentences))
  }
  paragraph()
  while (words < target) {
    const x = rnd()
    if (x < 0.55) paragraph()
    else if (x < 0.7)
      add(
        {
          kind: 'heading',
          heading: Math.floor(rnd() * HEADINGS.length),
          extra: sentence(rnd, topic, secondary, 0, 2),
        },
        3,
      )
    else if (x < 0.85) {
      const items = Array.from({ length: 3 + Math.floor(rnd() * 4) }, () =>
        sentence(rnd, topic, secondary, 5, 12),
      )
      add({ kind: 'steps', items }, countWords(items))
    } else if (x < 0.95) {
      const items = Array.from({ length: 2 + Math.floor(rnd() * 4) }, () =>
        sentence(rnd, topic, secondary, 2, 7),
      )
      add({ kind: 'bullets', items }, countWords(items))
    } else {
      const s = sentence(rnd, topic, secondary, 6, 14)
      const anchor = sentence(rnd, topic, secondary, 2, 4)
      add(
        { kind: 'link', sentence: s, anchor, target: `${Math.floor(rnd() * 1e6)}` },
        s.length + anchor.length,
      )
    }
  }

  const x = rnd()
  const visibility = x < 0.7 ? 'public' : x < 0.9 ? 'contacts' : 'internal'
  const archived = rnd() < 0.015
  const tags = [TOPICS[topic]?.key as string, ...(rnd() < 0.3 ? [TOPICS[secondary]?.key as string] : [])]
  const ageDays = Math.floor(rnd() * 3 * 365)

  const render = (lang: Lang): ArticleText => {
    // Function words of each language from their own stream, so both renderings are deterministic.
    const r = random(n * 31 + (lang === 'es' ? 1 : 2))
    const lead = pair(TITLE_LEADS[titleLead] as string)[lang]
    const title = `${lead} ${renderWords(titleSlots, lang, r, false).text}`
    const md: string[] = []
    const html: string[] = []
    for (const block of blocks) {
      switch (block.kind) {
        case 'paragraph': {
          const parts = block.sentences.map((s) => renderWords(s, lang, r, true))
          md.push(parts.map((p) => `${capitalize(p.text)}.`).join(' '))
          html.push(`<p>${parts.map((p) => `${capitalize(p.html)}.`).join(' ')}</p>`)
          break
        }
        case 'heading': {
          const words = renderWords(block.extra, lang, r, false).text
          const heading = `${pair(HEADINGS[block.heading] as string)[lang]}${words ? ` ${words}` : ''}`
          md.push(`## ${heading}`)
          html.push(`<h2>${escapeHtml(heading)}</h2>`)
          break
        }
        case 'steps':
        case 'bullets': {
          const items = block.items.map((s) => renderWords(s, lang, r, true))
          const ordered = block.kind === 'steps'
          md.push(items.map((p, i) => `${ordered ? `${i + 1}.` : '-'} ${capitalize(p.text)}`).join('\n'))
          const tag = ordered ? 'ol' : 'ul'
          html.push(`<${tag}>\n${items.map((p) => `<li>${capitalize(p.html)}</li>`).join('\n')}\n</${tag}>`)
          break
        }
        case 'link': {
          const s = renderWords(block.sentence, lang, r, true)
          const a = renderWords(block.anchor, lang, r, false)
          const href = `https://help.example.com/${lang}/articles/${block.target}`
          md.push(`${capitalize(s.text)}: [${a.text}](${href}).`)
          html.push(
            `<p>${capitalize(s.html)}: <a href="${href}" rel="nofollow noopener noreferrer">${escapeHtml(a.text)}</a>.</p>`,
          )
          break
        }
      }
    }
    return { title, body: md.join('\n\n'), bodyHtml: html.join('\n'), words }
  }
  return { topic, visibility, archived, tags, ageDays, es: render('es'), en: render('en') }
}

// ---------------------------------------------------------------------------------------------------
// What readers type

const stripAccents = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC')

/** A word a reader would search for: mostly of one topic, some general ones. */
function queryWord(rnd: Random, topic: number, lang: Lang, general: number): string {
  const concept =
    rnd() < general
      ? (generalConcepts[generalZipf.draw(rnd)] as Concept)
      : (topicConcepts[topic]?.[topicWordZipf[topic]?.draw(rnd) ?? 0] as Concept)
  return formOf(concept, Math.floor(rnd() * 3), lang).toLowerCase()
}

export interface Query {
  q: string
  locale: Lang
}

/**
 * Search box queries: 1 word (40 %), 2 (40 %) or 3 (20 %) of one topic (topics as often as they have
 * articles), the first a word of the topic, the others of the topic or general (30 %); a quarter of the
 * Spanish ones typed without accents. Half Spanish, half English.
 */
export function searchQueries(count: number, seed: number): Query[] {
  const rnd = random(seed)
  const out: Query[] = []
  while (out.length < count) {
    const locale: Lang = out.length % 2 === 0 ? 'es' : 'en'
    const topic = topicZipf.draw(rnd)
    const x = rnd()
    const n = x < 0.4 ? 1 : x < 0.8 ? 2 : 3
    const words = [queryWord(rnd, topic, locale, 0)]
    for (let i = 1; i < n; i++) words.push(queryWord(rnd, topic, locale, 0.3))
    const unique = [...new Set(words)]
    let q = unique.join(' ')
    if (locale === 'es' && rnd() < 0.25) q = stripAccents(q)
    out.push({ q, locale })
  }
  return out
}

const KEYBOARD_NEIGHBOURS: Record<string, string> = {
  a: 'qsz',
  b: 'vn',
  c: 'xv',
  d: 'sf',
  e: 'wr',
  f: 'dg',
  g: 'fh',
  h: 'gj',
  i: 'uo',
  j: 'hk',
  k: 'jl',
  l: 'k',
  m: 'n',
  n: 'bm',
  o: 'ip',
  p: 'o',
  q: 'wa',
  r: 'et',
  s: 'ad',
  t: 'ry',
  u: 'yi',
  v: 'cb',
  w: 'qe',
  x: 'zc',
  y: 'tu',
  z: 'xa',
}

/** One edit, as fingers make them: two letters swapped, one left out, one doubled, or a neighbouring key. */
function misspell(word: string, rnd: Random): string {
  const letters = [...word]
  const i = 1 + Math.floor(rnd() * (letters.length - 2))
  const x = rnd()
  if (x < 0.3) [letters[i], letters[i + 1]] = [letters[i + 1] as string, letters[i] as string]
  else if (x < 0.55) letters.splice(i, 1)
  else if (x < 0.7) letters.splice(i, 0, letters[i] as string)
  else {
    const near = KEYBOARD_NEIGHBOURS[letters[i] as string] ?? 'e'
    letters[i] = near[Math.floor(rnd() * near.length)] as string
  }
  return letters.join('')
}

/**
 * Misspelled queries: 1 word (60 %) or 2 (40 %) of a topic, one of them (at least 5 letters) with one
 * typo that makes no word of the vocabulary, so that full-text search finds (almost) nothing and the
 * service retries with near spellings.
 */
export function typoQueries(count: number, seed: number): Query[] {
  const rnd = random(seed)
  const out: Query[] = []
  while (out.length < count) {
    const locale: Lang = out.length % 2 === 0 ? 'es' : 'en'
    const topic = topicZipf.draw(rnd)
    const word = queryWord(rnd, topic, locale, 0)
    if (word.length < 5 || !/^\p{L}+$/u.test(word)) continue
    const typo = misspell(word, rnd)
    if (knownWords.has(typo) || knownWords.has(stripAccents(typo))) continue
    const words = rnd() < 0.4 ? [typo, queryWord(rnd, topic, locale, 0.3)] : [typo]
    if (words.length === 2 && rnd() < 0.5) words.reverse()
    out.push({ q: [...new Set(words)].join(' '), locale })
  }
  return out
}

export interface TicketDraft {
  subject: string
  body: string
  locale: Lang
}

/** Tickets being written: a subject of 4–9 words and a body of 20–120 words about one topic. */
export function ticketDrafts(count: number, seed: number): TicketDraft[] {
  const rnd = random(seed)
  const out: TicketDraft[] = []
  while (out.length < count) {
    const locale: Lang = out.length % 2 === 0 ? 'es' : 'en'
    const topic = topicZipf.draw(rnd)
    const secondary = topicZipf.draw(rnd)
    const r = random(Math.floor(rnd() * 2 ** 31))
    const subjectSlots = Array.from({ length: 4 + Math.floor(rnd() * 6) }, () => {
      const x = rnd()
      if (x < 0.35) return { kind: 'function' } as Slot
      const concept =
        x < 0.85
          ? (topicConcepts[topic]?.[topicWordZipf[topic]?.draw(rnd) ?? 0] as Concept)
          : (generalConcepts[generalZipf.draw(rnd)] as Concept)
      return { kind: 'concept', concept, form: Math.floor(rnd() * 3), bold: false } as Slot
    })
    const subject = capitalize(renderWords(subjectSlots, locale, r, false).text)
    const target = 20 + Math.floor(100 * rnd() ** 1.5)
    const sentences: string[] = []
    let words = 0
    while (words < target) {
      const s = sentence(rnd, topic, secondary, 6, 16)
      words += s.length
      sentences.push(`${capitalize(renderWords(s, locale, r, false).text)}.`)
    }
    const opening = pair(TICKET_OPENINGS[Math.floor(rnd() * TICKET_OPENINGS.length)] as string)[locale]
    const closing = pair(TICKET_CLOSINGS[Math.floor(rnd() * TICKET_CLOSINGS.length)] as string)[locale]
    const body = [opening, sentences.join(' '), closing].filter(Boolean).join('\n\n')
    out.push({ subject, body, locale })
  }
  return out
}
